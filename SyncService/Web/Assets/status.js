// cvmfs-image-sync status page: filters, copy buttons, and refresh while a pass runs.
// Data only ever reaches the page as text (textContent, value): never as markup.
(function () {
  'use strict';
  var body = document.body;
  var filter = document.getElementById('filter');
  var state = document.getElementById('state');
  var shown = document.getElementById('shown');

  function apply() {
    var rows = document.querySelectorAll('#image-table tbody tr');
    if (!rows.length || !filter) { return; }
    var words = filter.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
    var wanted = state ? state.value : '';
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute('data-search') || '';
      var ok = (!wanted || row.getAttribute('data-state') === wanted) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !ok;
      if (ok) { count++; }
    });
    if (shown) { shown.textContent = count + ' of ' + rows.length + ' shown'; }
    try { sessionStorage.setItem('cvmfs-image-sync-filter', JSON.stringify([filter.value, wanted])); } catch (e) { /* private mode */ }
  }

  if (filter) {
    if (!filter.value && !location.search) {
      try {
        var saved = JSON.parse(sessionStorage.getItem('cvmfs-image-sync-filter') || 'null');
        if (saved) { filter.value = saved[0] || ''; if (state) { state.value = saved[1] || ''; } }
      } catch (e) { /* ignore */ }
    }
    filter.addEventListener('input', apply);
    if (state) { state.addEventListener('change', apply); }
    document.getElementById('filters').addEventListener('submit', function (e) { e.preventDefault(); apply(); });
    apply();
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error('copy refused')); }
    });
  }

  document.addEventListener('click', function (e) {
    var button = e.target.closest ? e.target.closest('button.copy') : null;
    if (!button) { return; }
    copy(button.getAttribute('data-copy')).then(
      function () { button.textContent = 'Copied'; },
      function () { button.textContent = 'Copy failed'; });
    setTimeout(function () { button.textContent = 'Copy path'; }, 3000);
  });

  function progressText(pass) {
    if (!pass.total) { return 'reading the list and resolving…'; }
    return pass.done + ' of ' + pass.total + ' images done (' + pass.percent + '%)';
  }

  function tick() {
    fetch('/api/status', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) {
      var running = body.getAttribute('data-running') === 'true';
      if (String(s.passesEnded) !== body.getAttribute('data-passes-ended') || !!s.pass !== running) {
        location.reload();
        return;
      }
      if (s.pass) {
        var bar = document.getElementById('progress');
        if (bar) { bar.value = s.pass.percent; bar.textContent = s.pass.percent + '%'; }
        var text = document.getElementById('progress-text');
        if (text) { text.textContent = progressText(s.pass); }
        var list = document.getElementById('active');
        if (list) {
          while (list.firstChild) { list.removeChild(list.firstChild); }
          s.pass.active.forEach(function (a) {
            var li = document.createElement('li');
            var bdi = document.createElement('bdi');
            bdi.textContent = a.stage + ' ' + (a.path || a.reference) + (a.detail ? ' ' + a.detail : '');
            li.appendChild(bdi);
            list.appendChild(li);
          });
        }
      }
      setTimeout(tick, s.pass ? 1000 : 10000);
    }).catch(function () { setTimeout(tick, 10000); });
  }

  if (body.hasAttribute('data-passes-ended')) {
    setTimeout(tick, body.getAttribute('data-running') === 'true' ? 1000 : 10000);
  }
}());
