// The consumer page's script (ScriptPath), after receipt.CheckJS: it
// fetches the lot's receipt, checks it with TL.check, marks each anchored
// event of the page's proof list, and says in the page's language
// (messages in #tl-msgs) whether the history shown is complete and current,
// or what is missing.
(function () {
  var list = document.querySelector('.anchor-list'), box = document.getElementById('tl-check'), msgs = document.getElementById('tl-msgs');
  if (!list || !box || !msgs || !window.crypto || !crypto.subtle) return;
  var M = JSON.parse(msgs.textContent);
  var say = function (k) { var a = arguments; return M[k].replace(/\{(\d)\}/g, function (_, i) { return a[i]; }); };
  var short = function (s) { s = String(s); var h = /^ni:\/\/\/sha-256;([0-9a-f]{12})/.exec(s); return h ? h[1] + '\u2026' : s.length > 20 ? s.slice(0, 10) + '\u2026' + s.slice(-6) : s; };
  var lot = function (s) { var k = TL.lotKey(s); return k ? k.split('/').slice(1).join('/') : short(s); };
  var show = function (cls, head, items) {
    box.className = 'receipt-check ' + cls; box.textContent = head; box.hidden = false;
    if (items && items.length) { var ul = document.createElement('ul'); items.forEach(function (t) { ul.appendChild(document.createElement('li')).textContent = t; }); box.appendChild(ul); }
  };
  (async function () {
    show('', say('check.running'));
    var res, r;
    try {
      var resp = await fetch(box.dataset.src, {headers: {Accept: 'application/json'}, cache: 'no-cache'});
      if (resp.status === 409) return show('', say('check.pending'));
      r = await resp.json();
      res = await TL.check(r, box.dataset.lot);
    } catch (e) { return show('bad', say('check.unavailable')); }
    // Each anchored event's own mark: its leaf on its path to its window's
    // root, or that the receipt does not carry the event at all.
    var onPage = Array.from(list.querySelectorAll('li[data-id]'), function (li) {
      var ok = res.events[li.dataset.id] === true, e = li.querySelector('.merkle-check');
      e.textContent = ok ? list.dataset.ok : li.dataset.id in res.events ? list.dataset.bad : list.dataset.missing;
      e.className = 'merkle-check ' + (ok ? 'ok' : 'bad');
      return li.dataset.id;
    });
    onPage.forEach(function (id) { if (!(id in res.events)) res.fails.push({code: 'unproven', args: [id]}); });
    (r.events || []).forEach(function (e) { if (!e.upstream && onPage.indexOf(e.eventId) < 0) res.fails.push({code: 'unshown', args: [e.eventId]}); });
    if (res.fails.length) {
      return show('bad', say('check.bad'), res.fails.map(function (f) {
        var a = f.args;
        switch (f.code) {
          case 'missing': return say('check.missing', lot(a[0]), a[1], a[2]) + a[3].map(function (m) { return say(m === 'recall' ? 'check.noRecall' : 'check.noBreach'); }).join('');
          case 'added': case 'reordered': case 'stale': return say('check.' + f.code, lot(a[0]), a[1], a[2]);
          case 'norecord': case 'claim': case 'subject': case 'page': return say('check.' + f.code, lot(a[0]));
          case 'svcmissing': case 'svcadded': case 'svcreordered': case 'svcnorecord': case 'svcstale': return say('check.' + f.code, a[0], a[1], a[2]);
        }
        return say('check.' + f.code, short(a[0]));
      }));
    }
    var o = res.asOf || {}, mine = res.lots.filter(function (l) { return TL.lotKey(l.lot) === box.dataset.lot; })[0] || {};
    show('ok', r.version < 3 ? say('check.weak') : !res.complete ? say('check.unchained', box.dataset.lot.replace(/^\d+\//, '')) : res.fresh ? say('check.current', o.block, o.eth, mine.events) : say('check.complete', o.block, o.eth, mine.events));
    // The anchor's time: no receipt proves it, so the page says so rather than show one.
    box.appendChild(document.createElement('small')).textContent = say('check.note') + (o.eth !== undefined ? ' ' + say('check.time', o.eth) : '');
  })();
})();
