using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CvmfsImages.Runtime.Inspect;

/// <summary>
/// The attributes of <c>inspect</c>; <see cref="WriteJson"/> writes Singularity's <c>--json</c> shape,
/// <c>{"data":{"attributes":{...}},"type":"container"}</c>, with a plain <see cref="Utf8JsonWriter"/>: the
/// serializer's generated metadata made the NativeAOT front end larger, and so slower to start for every job.
/// </summary>
internal sealed class InspectAttributes
{
    public Dictionary<string, string>? Labels { get; set; }

    public string? Runscript { get; set; }

    public string? Environment { get; set; }

    /// <summary>The <c>--json</c> document, indented, without the attributes that are null.</summary>
    public string WriteJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteStartObject("attributes");
            if (Labels is not null)
            {
                json.WriteStartObject("labels");
                foreach (var (key, value) in Labels)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            if (Runscript is not null)
            {
                json.WriteString("runscript", Runscript);
            }

            if (Environment is not null)
            {
                json.WriteString("environment", Environment);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteString("type", "container");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
