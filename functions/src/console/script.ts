/**
 * Sandbox console script — plain browser JavaScript (no framework, no build step), inlined into the
 * page under the CSP nonce. It calls `/console/api/*`, renders only through the DOM (`textContent`,
 * `createElement`), decodes the assertion (RFC 7515 compact JWS: base64url header and payload) and
 * checks its ES256 signature with Web Crypto against the sandbox issuer's `/sandbox/.well-known/jwks.json`.
 *
 * Kept as a string (a Worker serves no files). Written without template literals so the TypeScript
 * template around it needs no escaping. Nothing is logged: the page never calls `console.*`.
 */
export const CONSOLE_SCRIPT = `
(function () {
  'use strict';
  var MAX_UPLOAD = 2 * 1024 * 1024;
  var SOFT = { aa_failed: 1, aa_not_supported: 1, aa_not_performed: 1, challenge_invalid: 1 };
  var GROUPS = [
    ['passive', 'Passive authentication — is the data genuine? (Doc 9303 Part 11 §5.1)'],
    ['active', 'Active authentication — is this the genuine chip? (Part 11 §6.1)'],
    ['registry', 'Registry — is the card in good standing?']
  ];
  var DG13 = [
    ['idNumber', 'Số định danh', 'Personal ID number'],
    ['dateOfBirth', 'Ngày sinh', 'Date of birth'],
    ['sex', 'Giới tính', 'Sex'],
    ['nationality', 'Quốc tịch', 'Nationality'],
    ['ethnicity', 'Dân tộc', 'Ethnicity'],
    ['religion', 'Tôn giáo', 'Religion'],
    ['placeOfOrigin', 'Quê quán', 'Place of origin'],
    ['placeOfResidence', 'Nơi thường trú', 'Place of residence'],
    ['identifyingMarks', 'Đặc điểm nhận dạng', 'Identifying marks'],
    ['dateOfIssue', 'Ngày cấp', 'Date of issue'],
    ['dateOfExpiry', 'Có giá trị đến', 'Valid until'],
    ['fatherName', 'Họ tên cha', 'Father'],
    ['motherName', 'Họ tên mẹ', 'Mother'],
    ['spouseName', 'Họ tên vợ/chồng', 'Spouse'],
    ['oldIdNumber', 'Số CMND cũ', 'Former ID number']
  ];
  var DG1 = [
    ['documentCode', 'Document code'],
    ['issuingState', 'Issuing state'],
    ['documentNumber', 'Document number'],
    ['surname', 'Surname'],
    ['givenNames', 'Given names'],
    ['dateOfBirth', 'Date of birth', 'dob'],
    ['sex', 'Sex'],
    ['nationality', 'Nationality'],
    ['dateOfExpiry', 'Date of expiry', 'exp'],
    ['optionalData', 'Optional data'],
    ['checkDigitsValid', 'Check digits']
  ];

  var state = { reasons: {}, profiles: [], dump: null, dumpName: 'chipid-dump.json', seq: 0, upload: null };
  var FILE_OF = { dg1: 'DG1', dg2: 'DG2', dg13: 'DG13' };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function show(id, on) { $(id).hidden = !on; }

  function setStatus(text) {
    var s = $('status');
    clear(s);
    if (!text) { s.hidden = true; return; }
    s.appendChild(el('span', 'spinner'));
    s.appendChild(document.createTextNode(text));
    s.hidden = false;
  }
  function setError(problem) {
    var e = $('error');
    clear(e);
    if (!problem) { e.hidden = true; return; }
    e.appendChild(el('strong', '', problem.title || 'Error'));
    if (problem.detail) e.appendChild(document.createTextNode(' — ' + problem.detail));
    if (problem.code) { e.appendChild(document.createTextNode(' ')); e.appendChild(el('code', '', problem.code)); }
    if (Array.isArray(problem.errors) && problem.errors.length) {
      var ul = el('ul');
      problem.errors.slice(0, 8).forEach(function (x) {
        ul.appendChild(el('li', '', (x.pointer || '(body)') + ': ' + x.detail));
      });
      e.appendChild(ul);
    }
    e.hidden = false;
  }
  function busy(on) {
    ['run', 'download', 'profile', 'file'].forEach(function (id) { $(id).disabled = on; });
    if (!on && !state.dump) $('download').disabled = true;
  }

  async function api(path, body) {
    var init = { headers: { accept: 'application/json' } };
    if (body !== undefined) {
      init = { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify(body) };
    }
    var res = await fetch(path, init);
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      throw data && data.title ? data : { title: 'Request failed', detail: 'HTTP ' + res.status };
    }
    return data;
  }

  function reasonText(code) { return state.reasons[code] || ''; }
  function reasonLine(code) {
    var li = el('li', SOFT[code] ? 'soft' : '');
    li.appendChild(el('code', '', code));
    var t = reasonText(code);
    if (t) li.appendChild(document.createTextNode(' — ' + t));
    return li;
  }
  function expectText(exp) {
    return exp.result + (exp.reasons.length ? ' (' + exp.reasons.join(', ') + ')' : '');
  }

  function field(dl, label, value, vi, id) {
    if (value === undefined || value === null || value === '') return;
    var dt = el('dt');
    if (vi) {
      var v = el('span', 'vi', vi);
      v.lang = 'vi';
      dt.appendChild(document.createTextNode(label));
      dt.appendChild(v);
    } else {
      dt.textContent = label;
    }
    var dd = el('dd', '', Array.isArray(value) ? value.join(', ') : value);
    if (vi) dd.lang = 'vi';
    if (id) dd.id = id;
    dl.appendChild(dt);
    dl.appendChild(dd);
  }
  function mrzDate(s, kind) {
    if (!/^[0-9]{6}$/.test(s || '')) return s;
    var yy = Number(s.slice(0, 2));
    var nowYY = new Date().getFullYear() % 100;
    var century = kind === 'dob' ? (yy > nowYY ? 1900 : 2000) : 2000;
    return s.slice(4, 6) + '/' + s.slice(2, 4) + '/' + (century + yy) + '  (' + s + ')';
  }

  // Whether the card's data can be trusted, from the pipeline's passive-authentication steps: none yet
  // (a preview: decoded, not checked), all passed, or some failed — then every value is shown struck
  // through under a NOT AUTHENTIC banner, and the files whose hash does not match are marked forged.
  function cardTrust(steps) {
    if (!steps) return { trust: 'unchecked', forged: {}, failed: [] };
    var failed = steps.filter(function (s) { return s.group === 'passive' && s.status === 'fail'; });
    var forged = {};
    failed.forEach(function (s) {
      var m = /^(dg[0-9]+)[.]hash$/.exec(s.name);
      if (m) forged[m[1]] = true;
    });
    return { trust: failed.length ? 'untrusted' : 'authentic', forged: forged, failed: failed };
  }

  function markTrust(t, nameFrom) {
    $('card-panel').dataset.trust = t.trust;
    show('card-unchecked', t.trust === 'unchecked');
    show('card-untrusted', t.trust === 'untrusted');
    var why = $('card-untrusted-why');
    clear(why);
    if (t.trust === 'untrusted') {
      var files = Object.keys(t.forged).map(function (f) { return FILE_OF[f] || f.toUpperCase(); });
      why.textContent = files.length
        ? files.join(' and ') + ' do' + (files.length === 1 ? 'es' : '') + ' not match the hash signed in the SOD: ' +
          (files.length === 1 ? 'its' : 'their') + ' contents were altered after the card was issued.'
        : 'Failed: ' + t.failed.map(function (s) { return s.label + ' (' + s.name + ')'; }).join('; ') + '.';
    }
    ['dg1', 'dg13'].forEach(function (f) {
      var dl = $(f + '-fields');
      if (t.forged[f]) dl.dataset.forged = 'true'; else delete dl.dataset.forged;
      var note = $(f + '-forged');
      note.hidden = !t.forged[f];
      note.textContent = t.forged[f] ? '✗ ' + FILE_OF[f] + ' is forged: it does not hash to the value signed in the SOD' : '';
    });
    var fig = $('face').parentNode;
    if (t.forged.dg2) fig.dataset.forged = 'true'; else delete fig.dataset.forged;
    var holder = $('holder-name');
    if (t.forged[nameFrom]) holder.dataset.forged = 'true'; else delete holder.dataset.forged;
  }

  function renderCard(card, source, steps) {
    show('placeholder', false);
    show('card-panel', true);
    $('card-source').textContent = source;
    var trust = cardTrust(steps);
    var face = card.dg2 && card.dg2.faces && card.dg2.faces[0];
    var img = $('face');
    var cap = $('face-caption');
    var b64re = /^[A-Za-z0-9+/]+={0,2}$/;
    if (face && face.image && face.format === 'jpeg' && b64re.test(face.image)) {
      img.src = 'data:image/jpeg;base64,' + face.image;
      img.hidden = false;
      cap.textContent = 'DG2 · JPEG ' + (face.width || '?') + '×' + (face.height || '?') + ' · ' + face.bytes + ' bytes';
    } else if (face && face.format === 'jp2' && typeof face.display === 'string' && b64re.test(face.display)) {
      // Browsers do not decode JPEG 2000: the service sent the face converted to JPEG as well.
      img.src = 'data:image/jpeg;base64,' + face.display;
      img.hidden = false;
      cap.textContent = 'DG2 · JPEG 2000 ' + (face.width || '?') + '×' + (face.height || '?') + ' · ' + face.bytes + ' bytes (shown as JPEG)';
    } else {
      img.removeAttribute('src');
      img.hidden = true;
      cap.textContent = face ? 'DG2 face (' + face.format + ') cannot be shown by the browser' : 'No DG2 face image';
    }
    var dg13 = card.dg13 && !card.dg13.error ? card.dg13 : null;
    var dg1 = card.dg1 && !card.dg1.error ? card.dg1 : null;
    var name = dg13 && dg13.fullName ? dg13.fullName
      : dg1 ? (dg1.givenNames + ' ' + dg1.surname).trim() : '';
    var holder = $('holder-name');
    holder.textContent = name;
    var nameFrom = dg13 && dg13.fullName ? 'dg13' : 'dg1';
    var f13 = $('dg13-fields');
    clear(f13);
    if (dg13) {
      field(f13, 'Full name', dg13.fullName, 'Họ và tên', 'dg13-fullName');
      DG13.forEach(function (d) { field(f13, d[2], dg13[d[0]], d[1], 'dg13-' + d[0]); });
    } else {
      field(f13, 'DG13', card.dg13 ? 'unreadable: ' + card.dg13.error.code : 'not on this chip');
    }
    var f1 = $('dg1-fields');
    clear(f1);
    if (dg1) {
      field(f1, 'Format', dg1.format);
      DG1.forEach(function (d) {
        var v = dg1[d[0]];
        if (d[0] === 'checkDigitsValid') v = v ? 'valid' : 'INVALID';
        else if (d[2]) v = mrzDate(v, d[2]);
        field(f1, d[1], v, null, 'dg1-' + d[0]);
      });
    } else {
      field(f1, 'DG1', 'unreadable: ' + (card.dg1 && card.dg1.error ? card.dg1.error.code : 'missing'));
    }
    var fs = $('sod-fields');
    clear(fs);
    var sod = card.sod && !card.sod.error ? card.sod : null;
    if (sod) {
      field(fs, 'Hash', sod.hashAlgorithm);
      field(fs, 'Signature', sod.signatureAlgorithm);
      field(fs, 'Data groups', (sod.dataGroups || []).map(function (n) { return 'DG' + n; }).join(' · '));
      field(fs, 'Signed', sod.signingTime ? sod.signingTime.slice(0, 10) : '');
      if (sod.documentSigner) {
        field(fs, 'Document Signer', sod.documentSigner.subject);
        field(fs, 'Issued by', sod.documentSigner.issuer);
        field(fs, 'DS valid', sod.documentSigner.notBefore.slice(0, 10) + ' → ' + sod.documentSigner.notAfter.slice(0, 10));
        field(fs, 'DS key', sod.documentSigner.publicKey);
      }
    } else {
      field(fs, 'SOD', 'unreadable: ' + (card.sod && card.sod.error ? card.sod.error.code : 'missing'));
    }
    if (card.dg15 && !card.dg15.error) {
      field(fs, 'AA key (DG15)', card.dg15.algorithm + (card.dg15.curve ? ' ' + card.dg15.curve : '') + ' · ' + card.dg15.bits + ' bits');
    } else {
      field(fs, 'AA key (DG15)', 'none');
    }
    if (trust.trust === 'untrusted') {
      cap.textContent = 'NOT AUTHENTIC · ' + cap.textContent;
    }
    markTrust(trust, nameFrom);
  }

  function renderSteps(steps) {
    var box = $('steps');
    clear(box);
    GROUPS.forEach(function (g) {
      var mine = steps.filter(function (s) { return s.group === g[0]; });
      if (!mine.length) return;
      box.appendChild(el('h3', 'group-title', g[1]));
      var ol = el('ol', 'steps');
      ol.dataset.group = g[0];
      mine.forEach(function (s) {
        var li = el('li', 'step');
        li.dataset.status = s.status;
        li.dataset.check = s.name;
        var icon = el('span', 'icon', s.status === 'pass' ? '✓' : s.status === 'fail' ? '✗' : '–');
        icon.setAttribute('aria-hidden', 'true');
        var body = el('div');
        var label = el('span', 'label', s.label + ' ');
        body.appendChild(label);
        body.appendChild(el('span', 'check-name', s.name));
        s.reasons.forEach(function (r) {
          var why = el('span', 'why');
          why.appendChild(el('code', '', r));
          var t = reasonText(r);
          if (t) why.appendChild(document.createTextNode(' — ' + t));
          body.appendChild(why);
        });
        if (s.detail) body.appendChild(el('span', 'why', s.detail));
        var word = s.status === 'pass' ? 'Pass' : s.status === 'fail' ? 'Fail' : 'Skipped';
        li.appendChild(icon);
        li.appendChild(body);
        li.appendChild(el('span', 'state', word));
        ol.appendChild(li);
      });
      box.appendChild(ol);
    });
    show('checks-panel', true);
  }

  function b64urlBytes(s) {
    var b = s.replace(/-/g, '+').replace(/_/g, '/');
    while (b.length % 4) b += '=';
    var bin = atob(b);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function b64urlJson(s) { return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b64urlBytes(s))); }

  async function checkSignature(jwt, header) {
    var sig = $('assertion-sig');
    sig.className = 'sig';
    if (!window.crypto || !crypto.subtle) { sig.textContent = 'Signature not checked (Web Crypto unavailable here).'; return; }
    try {
      var jwks = await api('/sandbox/.well-known/jwks.json');
      var jwk = (jwks.keys || []).filter(function (k) { return k.kid === header.kid; })[0];
      if (!jwk) throw new Error('kid');
      var key = await crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
        { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
      var parts = jwt.split('.');
      var ok = header.alg === 'ES256' && await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key,
        b64urlBytes(parts[2]), new TextEncoder().encode(parts[0] + '.' + parts[1]));
      sig.textContent = ok
        ? '✓ ES256 signature verified with the sandbox key "' + header.kid + '" from /sandbox/.well-known/jwks.json'
        : '✗ The signature does not verify with the published service key';
      sig.className = 'sig ' + (ok ? 'ok' : 'bad');
      sig.dataset.verified = ok ? 'true' : 'false';
    } catch (e) {
      sig.textContent = '✗ Could not check the signature against /sandbox/.well-known/jwks.json';
      sig.className = 'sig bad';
      sig.dataset.verified = 'false';
    }
  }

  // The claims an RP reads (verified_claims.claims), one per line, above the raw payload.
  function renderClaims(payload) {
    var box = $('assertion-claims');
    clear(box);
    var vc = payload && payload.verified_claims;
    var claims = vc && vc.claims && typeof vc.claims === 'object' ? vc.claims : null;
    var names = claims ? Object.keys(claims) : [];
    if (!names.length) {
      box.appendChild(el('p', 'hint', 'No verified claims: the assertion carries claims only for a verified card (result "' +
        (payload && payload.result) + '").'));
    } else {
      var dl = el('dl', 'fields');
      names.forEach(function (n) {
        var v = claims[n];
        dl.appendChild(el('dt', 'mono', n));
        // An address claim (OIDC Core §5.1.1) reads best as its formatted line.
        var text = v && typeof v === 'object'
          ? (typeof v.formatted === 'string' ? v.formatted : JSON.stringify(v)) : String(v);
        var dd = el('dd', '', text);
        dd.dataset.claim = n;
        dl.appendChild(dd);
      });
      box.appendChild(dl);
    }
    var withheld = payload && payload.withheld_claims;
    if (withheld && typeof withheld === 'object' && Object.keys(withheld).length) {
      box.appendChild(el('p', 'hint', 'Withheld: ' + Object.keys(withheld).map(function (n) {
        return n + ' (' + withheld[n] + ')';
      }).join(', ')));
    }
  }

  function copyFallback(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  async function copyJwt() {
    var text = state.jwt;
    if (!text) return;
    var ok = false;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      try { await navigator.clipboard.writeText(text); ok = true; } catch (e) { ok = false; }
    }
    if (!ok) ok = copyFallback(text);
    $('copy-status').textContent = ok ? 'Copied the JWT to the clipboard.' : 'Could not copy: select the JWT above and copy it.';
    $('copy-jwt').dataset.copied = ok ? 'true' : 'false';
  }

  function renderAssertion(jwt) {
    var parts = jwt.split('.');
    var box = $('assertion-jwt');
    clear(box);
    box.appendChild(el('span', 'h', parts[0]));
    box.appendChild(document.createTextNode('.'));
    box.appendChild(el('span', 'p', parts[1]));
    box.appendChild(document.createTextNode('.'));
    box.appendChild(el('span', 's', parts[2]));
    var header = b64urlJson(parts[0]);
    var payload = b64urlJson(parts[1]);
    $('assertion-header').textContent = JSON.stringify(header, null, 2);
    $('assertion-payload').textContent = JSON.stringify(payload, null, 2);
    renderClaims(payload);
    state.jwt = jwt;
    $('copy-status').textContent = '';
    delete $('copy-jwt').dataset.copied;
    $('assertion-sig').textContent = 'Checking the signature…';
    delete $('assertion-sig').dataset.verified;
    show('assertion-panel', true);
    return checkSignature(jwt, header);
  }

  function readText(r) {
    var how = r.accessControl === 'pace' && r.pace
      ? 'PACE ' + r.pace.mapping + ' ' + r.pace.curve + ' ' + r.pace.cipher + ' with the ' + r.pace.password.toUpperCase()
      : r.accessControl.toUpperCase();
    return 'Read through its APDU-level virtual card: ' + how + ', Chip Authentication ' + r.chipAuthentication +
      ', ' + r.apdus + ' APDUs (' + r.bytesSent + ' bytes sent, ' + r.bytesReceived + ' received).';
  }

  function renderResult(v) {
    show('result-panel', true);
    var r = $('result');
    r.dataset.result = v.result;
    r.textContent = (v.result === 'verified' ? '✓ ' : v.result === 'rejected' ? '✗ ' : '? ') + v.result;
    $('verification-id').textContent = v.id;
    $('challenge-note').textContent = (v.challengeAnswered
      ? 'The chip answered a fresh one-time challenge from the service (sandbox virtual chip).'
      : v.source === 'upload'
        ? 'Uploaded dump: no chip was present to answer a fresh challenge.'
        : 'No fresh challenge was answered.') + (v.read ? ' ' + readText(v.read) : '');
    var exp = $('expected-note');
    clear(exp);
    if (v.expected) {
      var m = el('span', 'match ' + (v.matchesExpected ? 'yes' : 'no'),
        v.matchesExpected ? '✓ Matches' : '✗ Differs from');
      exp.appendChild(m);
      exp.appendChild(document.createTextNode(' the profile\\'s documented outcome: ' + expectText(v.expected)));
    }
    var ul = $('reasons');
    clear(ul);
    v.reasons.forEach(function (c) { ul.appendChild(reasonLine(c)); });
    if (!v.reasons.length) {
      var ok = el('li', '', 'No reason codes: every check passed.');
      ok.className = 'none';
      ul.appendChild(ok);
    }
  }

  // On a narrow screen the result is below the form: bring it into view (and focus, for screen readers).
  function revealResult() {
    var panel = $('result-panel');
    var top = panel.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 120) panel.scrollIntoView({ block: 'start' });
    panel.focus({ preventScroll: true });
  }

  function hideResults() {
    ['result-panel', 'checks-panel', 'assertion-panel'].forEach(function (id) { show(id, false); });
  }

  function selectedProfile() {
    var name = $('profile').value;
    return state.profiles.filter(function (p) { return p.name === name; })[0];
  }
  function describeProfile() {
    var p = selectedProfile();
    $('profile-desc').textContent = p ? p.description : '';
    var e = $('profile-expect');
    clear(e);
    if (p) {
      e.appendChild(document.createTextNode('Expected outcome: '));
      e.appendChild(el('strong', '', expectText(p.expected)));
    }
  }
  function seedValue() {
    var s = $('seed').value.trim();
    return s ? s : undefined;
  }
  function keepDump(dump, name) {
    state.dump = dump;
    state.dumpName = name;
    $('download').disabled = false;
  }

  async function preview() {
    var seq = ++state.seq;
    var p = selectedProfile();
    if (!p) return;
    hideResults();
    setError(null);
    setStatus('Making a ' + p.name + ' card with the sandbox chip factory…');
    try {
      var body = { profile: p.name };
      var seed = seedValue();
      if (seed) body.seed = seed;
      var c = await api('/console/api/cards', body);
      if (seq !== state.seq) return;
      // Show the seed the server chose, unless the user typed one meanwhile.
      if (!seed && !$('seed').value.trim()) $('seed').value = c.seed;
      renderCard(c.card, 'profile ' + c.profile + ' · seed ' + c.seed);
      keepDump(c.dump, 'chipid-' + c.profile + '-' + c.seed + '.json');
      setStatus(null);
    } catch (e) {
      if (seq !== state.seq) return;
      setStatus(null);
      setError(e);
    }
  }

  async function verify(body, source) {
    var seq = ++state.seq;
    busy(true);
    setError(null);
    setStatus('Verifying against the sandbox trust store and registry…');
    try {
      var v = await api('/console/api/verifications', body);
      if (seq !== state.seq) return;
      if (v.seed) $('seed').value = v.seed;
      renderCard(v.card, source(v), v.steps);
      renderResult(v);
      renderSteps(v.steps);
      revealResult();
      keepDump(v.dump, v.profile ? 'chipid-' + v.profile + '-' + v.seed + '.json' : state.dumpName);
      setStatus(null);
      await renderAssertion(v.assertion);
    } catch (e) {
      if (seq !== state.seq) return;
      setStatus(null);
      hideResults();
      setError(e);
    } finally {
      busy(false);
    }
  }

  function setUpload(up) {
    state.upload = up;
    show('upload-note', !!up);
    $('upload-text').textContent = up ? 'The button verifies the uploaded file ' + up.name + '.' : '';
    $('run').textContent = up ? 'Verify the uploaded dump' : 'Verify this card';
  }

  function runProfile(ev) {
    ev.preventDefault();
    if (state.upload) {
      verify({ dump: state.upload.dump }, function () { return 'uploaded dump'; });
      return;
    }
    var p = selectedProfile();
    if (!p) return;
    var body = { profile: p.name };
    var seed = seedValue();
    if (seed) body.seed = seed;
    verify(body, function (v) { return 'profile ' + v.profile + ' · seed ' + v.seed; });
  }

  async function upload(file) {
    if (!file) return;
    setError(null);
    if (file.size > MAX_UPLOAD) { setError({ title: 'File too large', detail: 'a chip dump is at most 2 MiB' }); return; }
    var json;
    try { json = JSON.parse(await file.text()); } catch (e) {
      setError({ title: 'Not JSON', detail: 'the file is not a chipid.dump/1 JSON document' });
      return;
    }
    if (json && typeof json === 'object' && json.dump && !json.format) json = json.dump;
    state.dumpName = file.name;
    setUpload({ dump: json, name: file.name });
    verify({ dump: json }, function () { return 'uploaded dump'; });
  }

  function download() {
    if (!state.dump) return;
    var blob = new Blob([JSON.stringify(state.dump, null, 2) + '\\n'], { type: 'application/json' });
    var url = URL.createObjectURL(blob);
    var a = document.createElement('a');
    a.href = url;
    a.download = state.dumpName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  async function init() {
    // The profiles and reason texts come with the page (its options are rendered by the server), so
    // the form works at first paint; the API is asked only for the trust store's state.
    try {
      var inline = JSON.parse($('console-data').textContent || '{}');
      state.reasons = inline.reasons || {};
      state.profiles = inline.profiles || [];
    } catch (e) {
      state.profiles = [];
    }
    $('run').disabled = !state.profiles.length;
    describeProfile();
    var first = preview();
    try {
      var d = await api('/console/api/profiles');
      if (!state.profiles.length) {
        state.reasons = d.reasons || {};
        state.profiles = d.profiles || [];
        $('run').disabled = false;
        describeProfile();
      }
      if (d.trust && !d.trust.sandboxCsca) {
        var w = $('trust-warning');
        w.textContent = 'The sandbox trust store does not hold the sandbox CSCA, so every card will end with ds_untrusted. '
          + 'Seed it with npm start, or POST its PEM (chipid sandbox csca) to /admin/v1/trust/sandbox/cscas.';
        w.hidden = false;
      }
    } catch (e) {
      setError(e);
    }
    await first;
  }

  $('profile').addEventListener('change', function () { setUpload(null); describeProfile(); preview(); });
  $('use-profile').addEventListener('click', function () { setUpload(null); preview(); });
  $('copy-jwt').addEventListener('click', copyJwt);
  $('profile-form').addEventListener('submit', runProfile);
  $('download').addEventListener('click', download);
  $('file').addEventListener('change', function (e) {
    var f = e.target.files && e.target.files[0];
    upload(f);
    e.target.value = '';
  });
  var drop = $('drop');
  ['dragenter', 'dragover'].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (t) {
    drop.addEventListener(t, function () { drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    var f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    upload(f);
  });
  init();
})();
`;
