/**
 * Sandbox console page — static HTML (WHATWG HTML living standard) with the stylesheet and script
 * inlined under one per-request CSP nonce. The profile list is rendered into the page (options, and
 * the profiles and reason texts as an inert `application/json` data block, HTML §4.12.1.2), so the
 * first paint already offers every profile; everything else is filled in by the script through the
 * DOM (`textContent`, never HTML strings), so no data can become markup.
 */
import { REASONS } from '@chipid/sdk';
import { listProfiles, type Profile } from '@chipid/sdk/sandbox';
import { CONSOLE_SCRIPT } from './script.ts';
import { CONSOLE_CSS } from './style.ts';

/** What the page knows at first paint: the profiles and the reason texts (static, from the SDK). */
export interface ConsolePageData {
  profiles: readonly Profile[];
  reasons: Readonly<Record<string, string>>;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an HTML text node or quoted attribute value. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The profile `<select>` options, grouped by expected result (first one selected, as the browser does). */
function profileOptions(profiles: readonly Profile[]): string {
  return (['verified', 'inconclusive', 'rejected'] as const)
    .map((result) => {
      const mine = profiles.filter((p) => p.expected.result === result);
      if (!mine.length) return '';
      const options = mine
        .map((p) => {
          const label = p.name + (p.expected.reasons.length ? ` — ${p.expected.reasons.join(', ')}` : '');
          return `<option value="${escapeHtml(p.name)}">${escapeHtml(label)}</option>`;
        })
        .join('');
      return `<optgroup label="Expected: ${result}">${options}</optgroup>`;
    })
    .join('\n');
}

/** JSON safe inside a `<script type="application/json">` block: no `<` can close it. */
function inertJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The console page for a CSP nonce (standard base64, as produced by the route), with the sandbox
 * profiles rendered in.
 *
 * @example
 * c.html(consolePage(nonce));
 */
export function consolePage(
  nonce: string,
  data: ConsolePageData = { profiles: listProfiles(), reasons: REASONS },
): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(nonce)) throw new Error('console: nonce must be base64');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="robots" content="noindex">
<title>chipid · sandbox console</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${CONSOLE_CSS}</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to results</a>
<header class="top">
  <p class="brand">chipid <small>sandbox console</small></p>
  <span class="env-badge" title="This console only uses the sandbox trust store and registry">Sandbox · synthetic test data only</span>
</header>
<div class="layout">
  <aside aria-label="Choose a chip">
    <section class="panel" aria-labelledby="choose-title">
      <h2 id="choose-title">Choose a chip</h2>
      <form id="profile-form" novalidate>
        <label for="profile">Test profile</label>
        <select id="profile" name="profile" aria-describedby="profile-desc">
${profileOptions(data.profiles)}
        </select>
        <p id="profile-desc" class="hint"></p>
        <p id="profile-expect" class="expect"></p>
        <label for="seed">Seed <span class="hint">(same seed, same card)</span></label>
        <input id="seed" name="seed" type="text" inputmode="text" autocomplete="off" spellcheck="false"
          maxlength="64" pattern="[A-Za-z0-9._-]+" placeholder="random">
        <p id="upload-note" class="upload-note" hidden><span id="upload-text"></span>
          <button id="use-profile" type="button" class="link">Use the selected profile instead</button></p>
        <div class="actions">
          <button id="run" type="submit" disabled>Verify this card</button>
          <button id="download" type="button" class="secondary" disabled>Download dump</button>
        </div>
      </form>
      <p class="divider">or</p>
      <div id="drop" class="drop">
        <strong>Drop a chip dump here</strong>
        <div class="hint">a <code>chipid.dump/1</code> JSON file, as an app writes it or <code>chipid sandbox card</code> makes it</div>
        <label for="file" class="hint">…or choose a file:</label>
        <input id="file" type="file" accept="application/json,.json">
      </div>
      <p class="hint">The console verifies as the built-in sandbox client <code>sandbox_console</code>
        against the sandbox trust store and registry only. Live data is never used.</p>
    </section>
  </aside>
  <main id="main" tabindex="-1">
    <div id="trust-warning" class="notice warn" role="alert" hidden></div>
    <div id="status" role="status" aria-live="polite" class="notice info" hidden></div>
    <div id="error" class="notice error" role="alert" hidden></div>
    <section id="placeholder" class="panel empty">
      <strong>No card yet</strong>
      Pick a test profile (its card is made with the sandbox chip factory) or drop a chip dump,
      then run the verification to see every check the service makes.
    </section>
    <section id="result-panel" class="panel" tabindex="-1" aria-labelledby="result-title" hidden>
      <h2 id="result-title">Result</h2>
      <div class="result">
        <span id="result" class="verdict" data-result=""></span>
        <div class="result-meta">
          <div>Verification <code id="verification-id"></code></div>
          <div id="challenge-note"></div>
          <div id="expected-note"></div>
        </div>
        <ul id="reasons" class="reasons" aria-label="Reason codes"></ul>
      </div>
    </section>
    <section id="card-panel" class="panel" aria-labelledby="card-title" hidden>
      <h2 id="card-title">Decoded card</h2>
      <div id="card-untrusted" class="trust-banner" role="alert" hidden>
        <strong>NOT AUTHENTIC</strong> — data from a chip that failed passive authentication.
        <span id="card-untrusted-why"></span>
        Do not rely on any value below: it is shown struck through, for inspection only.
      </div>
      <p id="card-unchecked" class="notice unchecked" hidden>Decoded, <strong>not yet verified</strong>:
        this is only what the chip says. Run the verification to learn whether it is authentic.</p>
      <div class="idcard">
        <div class="idcard-head"><span>Căn cước công dân · Citizen identity card</span><span id="card-source"></span></div>
        <figure class="face">
          <img id="face" alt="Face image from DG2 (sandbox, synthetic)" width="150" height="200">
          <figcaption id="face-caption"></figcaption>
        </figure>
        <div>
          <p id="holder-name" class="holder-name" lang="vi"></p>
          <p id="dg13-forged" class="forged-note" hidden></p>
          <dl id="dg13-fields" class="fields" aria-label="DG13 — CCCD personal details"></dl>
        </div>
      </div>
      <div class="cols">
        <div>
          <h3>DG1 · MRZ</h3>
          <p id="dg1-forged" class="forged-note" hidden></p>
          <dl id="dg1-fields" class="fields" aria-label="DG1 — machine readable zone"></dl>
        </div>
        <div>
          <h3>SOD · Document Security Object</h3>
          <dl id="sod-fields" class="fields" aria-label="Document Security Object"></dl>
        </div>
      </div>
    </section>
    <section id="checks-panel" class="panel" aria-labelledby="checks-title" hidden>
      <h2 id="checks-title">Checks</h2>
      <div id="steps"></div>
    </section>
    <section id="assertion-panel" class="panel" aria-labelledby="assertion-title" hidden>
      <h2 id="assertion-title">Signed identity assertion</h2>
      <div id="assertion-jwt" class="jwt" aria-label="Compact JWT"></div>
      <div class="jwt-actions">
        <button id="copy-jwt" type="button" class="secondary">Copy JWT</button>
        <span id="copy-status" class="hint" role="status" aria-live="polite"></span>
      </div>
      <p id="assertion-sig" class="sig"></p>
      <h3>Verified claims <span class="hint">(<code>verified_claims.claims</code>)</span></h3>
      <div id="assertion-claims" class="claims-box" aria-label="Verified claims"></div>
      <div class="cols">
        <div>
          <h3>Header</h3>
          <pre id="assertion-header" class="json" tabindex="0"></pre>
        </div>
        <div>
          <h3>Payload</h3>
          <pre id="assertion-payload" class="json" tabindex="0"></pre>
        </div>
      </div>
    </section>
  </main>
</div>
<footer>chipid sandbox console · ICAO Doc 9303 passive and active authentication · nothing you do here touches live data</footer>
<script id="console-data" type="application/json">${inertJson(data)}</script>
<script nonce="${nonce}">${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
}
