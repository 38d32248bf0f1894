// TL.check(receipt, lot) does in the browser what receipt.Verify does
// offline, short of what bound leaves make redundant: each event's and
// record's bound leaf (id, transaction, block, SHA-256 of its RFC 8785 form)
// on its Merkle path to its window root; the subject binding
// (verifySubject); each lot's events against its record's count and event
// chain (verifyLots); the newest window's state leaf and each lot's map
// entry, which prove its record the latest (verifyState); the product's
// service events against its service chain record's count and chain, that
// record proven the latest by the state too (verifyService); and as of which
// ledger and Ethereum block (currencyOf). It does not recompute CBV event
// hashes or record ids (the bound leaf covers every byte of content), check
// signatures, re-evaluate claims or look at the chain: trustline verify
// does. TestBrowserReceiptCheck compares its verdicts with receipt.Verify's.
var TL = (function () {
  var te = new TextEncoder();
  var hex = function (b) { return Array.from(b, function (x) { return x.toString(16).padStart(2, '0'); }).join(''); };
  var unhex = function (h) { h = h.replace(/^0x/, ''); var a = new Uint8Array(h.length >> 1); for (var i = 0; i < a.length; i++) a[i] = parseInt(h.substr(2 * i, 2), 16); return a; };
  var sha = async function () {
    var parts = Array.from(arguments, function (p) { return typeof p === 'string' ? te.encode(p) : p; });
    var m = new Uint8Array(parts.reduce(function (n, p) { return n + p.length; }, 0)), o = 0;
    parts.forEach(function (p) { m.set(p, o); o += p.length; });
    return new Uint8Array(await crypto.subtle.digest('SHA-256', m));
  };
  // RFC 6962 inclusion proof (merkle.Verify): leaf 0x00, node 0x01.
  var proves = async function (leaf, index, size, path, root) {
    path = path || [];
    if (!(index < size)) return false;
    var fn = BigInt(index), sn = BigInt(size) - 1n, r = await sha(new Uint8Array([0]), leaf);
    for (var i = 0; i < path.length; i++) {
      if (sn === 0n) return false;
      var p = unhex(path[i]);
      if ((fn & 1n) === 1n || fn === sn) {
        r = await sha(new Uint8Array([1]), p, r);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else r = await sha(new Uint8Array([1]), r, p);
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n && hex(r) === String(root).replace(/^0x/, '').toLowerCase();
  };
  // RFC 8785: keys sorted by UTF-16 code units, ECMAScript numbers and strings.
  var jcs = function (v) {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return '[' + v.map(jcs).join(',') + ']';
    return '{' + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ':' + jcs(v[k]); }).join(',') + '}';
  };
  // Go's url.QueryEscape.
  var qesc = function (s) { return encodeURIComponent(s).replace(/[!'()*]/g, function (c) { return '%' + c.charCodeAt(0).toString(16).toUpperCase(); }).replace(/%20/g, '+'); };
  // A GS1 Digital Link's GTIN, lot and serial ({} when it names no GTIN).
  var link = function (s) {
    var m = /^https?:\/\/[^/?#]+(?:\/[^?#]*)?\/01\/(\d{8,14})(?:\/10\/([^/?#]+))?(?:\/21\/([^/?#]+))?\/?(?:[?#]|$)/i.exec(s || '');
    if (!m) return {};
    try { return {gtin: m[1].padStart(14, '0'), lot: m[2] && decodeURIComponent(m[2]), serial: m[3] && decodeURIComponent(m[3])}; } catch (e) { return {}; }
  };
  var lotKey = function (s) { var l = link(s); return l.gtin && l.lot ? l.gtin + '/' + l.lot : ''; };
  var names = function (e) {
    var c = function (q) { return (q || []).map(function (x) { return x.epcClass; }); };
    var n = {id: e.eventID, parent: e.parentID || '', step: e.bizStep, action: e.action, epcs: e.epcList || []};
    n.children = (e.childEPCs || []).concat(c(e.childQuantityList));
    n.all = [n.parent].concat(n.epcs, e.childEPCs || [], e.inputEPCList || [], e.outputEPCList || [], c(e.quantityList), c(e.childQuantityList), c(e.inputQuantityList), c(e.outputQuantityList));
    n.any = function (lots, boxes) { return n.all.some(function (s) { return s && (lots.has(lotKey(s)) || boxes.has(s)); }); };
    return n;
  };
  var boxesOf = function (ns, lots) {
    var b = new Set();
    ns.forEach(function (n) { if (n.parent && !lotKey(n.parent)) n.children.forEach(function (ch) { if (lots.has(lotKey(ch))) b.add(n.parent); }); });
    return b;
  };
  var chainNext = async function (prev, id) { return hex(await sha(unhex(prev), id)); };

  return {
    lotKey: lotKey,
    proves: proves,
    // check resolves to {ok, version, fails: [{part, code, args}], lots,
    // fresh, asOf: {block, eth}, events: {id: ok}}. lot, when given, is the
    // page's lot key (GTIN/lot): a receipt of another subject fails.
    check: async function (r, lot) {
      var fails = [], out = {version: r.version, fails: fails, events: {}, lots: []};
      var fail = function (part, code) { fails.push({part: part, code: code, args: Array.from(arguments).slice(2)}); };
      var W = r.windows || [], E = r.events || [], R = r.records || [];
      var leafOK = async function (it, id, content) {
        var w = W[it.window], ok = true;
        if (!w) return fail('path', 'path', id), false;
        if (it.block < w.fromBlock || it.block > w.toBlock) ok = false, fail('event', 'block', id);
        var leaf = id;
        if (w.leaves === 'bound') leaf += '#tx=' + qesc(it.txId) + '&block=' + it.block + '&sha256=' + hex(await sha(jcs(content)));
        if (!await proves(leaf, it.leafIndex, w.size, it.path, w.root)) ok = false, fail('path', 'path', id);
        if (!(w.anchors || []).length) ok = false, fail('anchor', 'anchor', id);
        return ok;
      };
      var evOK = [], recOK = [];
      for (var i = 0; i < E.length; i++) {
        var e = E[i], ok = await leafOK(e, e.eventId, e.event);
        if (e.event && e.event.eventID !== undefined && e.event.eventID !== e.eventId) ok = false, fail('event', 'id', e.eventId);
        evOK.push(ok);
        out.events[e.eventId] = ok && out.events[e.eventId] !== false;
      }
      for (i = 0; i < R.length; i++) {
        var n = fails.length;
        recOK.push(await leafOK(R[i], R[i].recordId, R[i].record));
        fails.slice(n).forEach(function (f) { if (f.part === 'event') f.part = 'record'; });
      }
      var proven = [], ups = [], svc = [];
      E.forEach(function (e, i) {
        if (!evOK[i]) return;
        if (e.service) svc.push(e); // a service event of the product, no lot's (ledger.ServiceMember)
        else proven.push(names(e.event || {})), ups.push(!!e.upstream);
      });

      // Subject (verifySubject).
      var s = r.subject || {}, sl = link(s.digitalLink || (s.lots || [])[0]);
      var sk = sl.gtin && sl.lot ? sl.gtin + '/' + sl.lot : '';
      var bad = !sk || (s.lots || []).some(function (x) { var l = link(x); return l.gtin + '/' + l.lot !== sk || l.serial; });
      if (bad) fail('subject', 'subject', s.digitalLink || '');
      if (lot && sk !== lot) fail('subject', 'page', lot);
      var lotRecs = new Map();
      R.forEach(function (x, i) { if (recOK[i] && x.type === 'lot') lotRecs.set(x.record.gtin + '/' + x.record.lot, x.record); });
      var up = new Set();
      if (!bad && lotRecs.has(sk)) {
        for (var q = [sk]; q.length;) {
          ((lotRecs.get(q.shift()) || {}).inputs || []).forEach(function (inp) {
            var k = lotKey(inp.lot);
            if (k && k !== sk && !up.has(k)) up.add(k), q.push(k);
          });
        }
      }
      if (!bad) {
        var own = new Set([sk]), ownB = boxesOf(proven, own), upB = boxesOf(proven, up);
        if (sl.serial && !proven.some(function (n, i) {
          return !ups[i] && n.action === 'ADD' && /^(commissioning|urn:epcglobal:cbv:bizstep:commissioning|https:\/\/ref\.gs1\.org\/cbv\/BizStep-commissioning|cbv:BizStep-commissioning)$/.test(n.step) &&
            n.epcs.some(function (x) { var l = link(x); return l.gtin === sl.gtin && l.serial === sl.serial && l.lot === sl.lot; });
        })) fail('subject', 'unit', sl.serial);
        proven.forEach(function (n, i) {
          if (!ups[i] && !n.any(own, ownB)) fail('subject', 'foreign', n.id);
          else if (ups[i] && (!up.size || !n.any(up, upB))) fail('subject', 'foreign', n.id);
        });
        var products = new Set();
        lotRecs.forEach(function (l, k) { if (k !== sk && !up.has(k)) fail('subject', 'record', l.id); else products.add(l.gtin); });
        R.forEach(function (x, i) { if (recOK[i] && x.type === 'product' && !products.has(x.record.gtin) && x.record.gtin !== sl.gtin) fail('subject', 'record', x.record.id); });
        (r.claims || []).forEach(function (c) { if (lotKey(c.lot) !== sk) fail('subject', 'claim', c.lot); });
      }
      svc.forEach(function (e) {
        var ev = e.event || {}, q = ev.quantityList || [], l = q.length === 1 ? link(q[0].epcClass) : {};
        if (bad || !ev['tl:service'] || !l.gtin || l.lot || l.gtin !== sl.gtin) fail('subject', 'foreign', e.eventId);
      });

      // Completeness (verifyLots): the latest record of each lot.
      var latest = new Map(), ids = new Map();
      R.forEach(function (x, i) {
        if (!recOK[i] || x.type !== 'lot') return;
        var k = lotKey(x.record.id), cur = latest.get(k), n = (x.record.counts || {}).events || 0;
        if (!cur || n > ((cur.counts || {}).events || 0)) latest.set(k, x.record), ids.set(k, x.recordId);
      });
      if (r.version >= 3 && !bad && !latest.has(sk)) fail('lot', 'norecord', sk);
      for (var [k, l] of latest) {
        var count = (l.counts || {}).events || 0, lots = new Set([k]), boxes = boxesOf(proven, lots);
        var seen = new Set(), chain = '';
        for (i = 0; i < E.length; i++) {
          if (evOK[i] && !seen.has(E[i].eventId) && names(E[i].event || {}).any(lots, boxes)) seen.add(E[i].eventId), chain = await chainNext(chain, E[i].eventId);
        }
        var v = {lot: l.id, events: count, shown: seen.size, chained: !!l.eventChain || r.version >= 3 && !count};
        out.lots.push(v);
        if (!v.chained || seen.size === count && chain === (l.eventChain || '')) continue;
        var miss = [];
        if (l.recall && l.recall.eventId && !seen.has(l.recall.eventId)) miss.push('recall');
        if (l.breach && l.breach.eventId && !seen.has(l.breach.eventId)) miss.push('breach');
        fail('lot', seen.size < count ? 'missing' : seen.size > count ? 'added' : 'reordered', l.id, seen.size, count, miss);
      }

      // The product's service events (verifyService): the latest service
      // chain record of the subject's product commits to them all.
      var svcRec = null, svcID = '', svcKey = 'https://id.gs1.org/01/' + sl.gtin + '#service';
      if (!bad) {
        R.forEach(function (x, i) {
          if (recOK[i] && x.type === 'service' && x.record.gtin === sl.gtin && (!svcRec || (x.record.events || 0) > (svcRec.events || 0))) svcRec = x.record, svcID = x.recordId;
        });
        var svcClaims = (r.claims || []).some(function (c) { return c.kind === 'service_within'; });
        if (!svcRec) { if (r.version >= 5 && svcClaims) fail('service', 'svcnorecord', sl.gtin); } else {
          var sseen = new Set(), schain = '';
          for (i = 0; i < E.length; i++) {
            var se = E[i].event || {}, sq = se.quantityList || [], sll = sq.length === 1 ? link(sq[0].epcClass) : {};
            if (!E[i].service || !evOK[i] || sseen.has(E[i].eventId) || !se['tl:service'] || sll.lot || sll.gtin !== sl.gtin) continue;
            sseen.add(E[i].eventId), schain = await chainNext(schain, E[i].eventId);
          }
          var scount = svcRec.events || 0;
          out.service = {product: svcRec.product, events: scount, shown: sseen.size};
          if (sseen.size !== scount || schain !== (svcRec.eventChain || '')) fail('service', sseen.size < scount ? 'svcmissing' : sseen.size > scount ? 'svcadded' : 'svcreordered', sl.gtin, sseen.size, scount);
        }
      }

      // Freshness (verifyState).
      var st = r.state, sw = st && W[st.window];
      if (!st) { if (r.version >= 4) fail('state', 'state'); } else if (!sw) fail('state', 'state');
      else {
        out.stateBlock = sw.toBlock;
        if (!(sw.anchors || []).length) fail('state', 'state');
        if (W.some(function (o) { return o.toBlock > sw.toBlock; })) fail('state', 'state');
        else if (!await proves('tl:state?root=' + String(st.root).replace(/^0x/, '').toLowerCase() + '&size=' + st.size, st.leafIndex, sw.size, st.path, sw.root)) fail('state', 'state');
        else {
          var entries = new Map();
          for (var x of st.lots || []) {
            if (await proves(x.lot + ' ' + x.recordId, x.index, st.size, x.path, st.root)) entries.set(lotKey(x.lot) || x.lot, x);
            else fail('state', 'state');
          }
          for (k of Array.from(ids.keys()).sort()) {
            x = entries.get(k);
            if (!x || x.recordId !== ids.get(k)) fail('state', 'stale', latest.get(k).id, sw.toBlock);
          }
          if (svcRec && (!(x = entries.get(svcKey)) || x.recordId !== svcID)) fail('state', 'svcstale', sl.gtin, sw.toBlock);
        }
      }

      // As of when (currencyOf).
      var nw = null;
      W.forEach(function (w) { if (!nw || w.toBlock > nw.toBlock) nw = w; });
      if (nw && (nw.anchors || []).length) out.asOf = {block: nw.toBlock, eth: Math.min.apply(null, nw.anchors.map(function (a) { return a.blockNumber; }))};
      out.ok = E.length > 0 && !fails.length;
      out.parts = Array.from(new Set(fails.map(function (f) { return f.part; }))).sort();
      // Complete when every lot shown commits to its events (not one recorded before event chains).
      out.complete = r.version >= 3 && out.lots.length > 0 && out.lots.every(function (l) { return l.chained; }) && !fails.some(function (f) { return f.part === 'lot' || f.part === 'service'; });
      out.fresh = r.version >= 4 && !fails.some(function (f) { return f.part === 'state'; });
      return out;
    }
  };
})();
