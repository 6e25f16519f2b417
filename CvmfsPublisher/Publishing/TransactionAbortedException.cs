namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// A change that was itself fine was discarded because its transaction was aborted; the inner exception is the
/// reason (another change's failure, or the publish itself).
/// </summary>
public sealed class TransactionAbortedException : IOException
{
    public TransactionAbortedException()
    {
    }

    public TransactionAbortedException(string message)
        : base(message)
    {
    }

    public TransactionAbortedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
