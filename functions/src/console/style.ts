/**
 * Sandbox console stylesheet — inlined into the page under the CSP nonce (a Worker has no files to
 * serve and the page loads nothing from elsewhere). System fonts only; colours meet WCAG 2.2 AA
 * contrast, and pass/fail never relies on colour alone (icon and word too).
 */
export const CONSOLE_CSS = `
:root {
  --bg: #f3f5f9; --panel: #ffffff; --ink: #172033; --muted: #5a6478; --line: #dde2ec;
  --brand: #1d4ed8; --brand-ink: #ffffff; --pass: #0f7a3d; --pass-bg: #e5f6ec; --fail: #b42318;
  --fail-bg: #fdecea; --warn: #8a5300; --warn-bg: #fff4dc; --skip: #5a6478; --skip-bg: #eef1f6;
  --card-a: #eaf2ff; --card-b: #fff7e8; --radius: 12px;
  --mono: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
a { color: var(--brand); }
:focus-visible { outline: 3px solid #93b4ff; outline-offset: 2px; }
.skip-link { position: absolute; left: -999px; top: 0; background: var(--panel); padding: 8px 12px; }
.skip-link:focus { left: 8px; z-index: 10; }
.top {
  display: flex; align-items: center; justify-content: space-between; gap: 16px; flex-wrap: wrap;
  padding: 14px 28px; background: #0f1b3d; color: #fff;
}
.brand { display: flex; align-items: baseline; gap: 10px; font-size: 20px; font-weight: 700; margin: 0; }
.brand small { font-weight: 400; color: #c7d2fe; font-size: 15px; }
.env-badge {
  background: #fbbf24; color: #3b2500; font-weight: 700; font-size: 12px; letter-spacing: .06em;
  padding: 4px 10px; border-radius: 999px; text-transform: uppercase;
}
.layout {
  display: grid; grid-template-columns: minmax(280px, 340px) minmax(0, 1fr); gap: 20px;
  padding: 20px 28px 40px; max-width: 1400px; margin: 0 auto;
}
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; padding: 16px; } }
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius);
  padding: 18px 20px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04);
}
main { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
main:focus { outline: none; }
.panel h2 { font-size: 16px; margin: 0 0 12px; display: flex; align-items: center; gap: 8px; }
.panel h3 { font-size: 13px; margin: 16px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.step-no {
  display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%;
  background: var(--brand); color: var(--brand-ink); font-size: 12px;
}
aside .panel { position: sticky; top: 16px; }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
select, input[type="text"] {
  width: 100%; padding: 8px 10px; border: 1px solid #b8c0cf; border-radius: 8px; font: inherit;
  background: #fff; color: var(--ink);
}
.hint { color: var(--muted); font-size: 13px; margin: 6px 0 0; }
.expect { margin: 10px 0 0; font-size: 13px; }
button {
  font: inherit; font-weight: 600; border-radius: 8px; padding: 9px 16px; cursor: pointer;
  border: 1px solid var(--brand); background: var(--brand); color: var(--brand-ink);
}
button.secondary { background: #fff; color: var(--brand); }
button:disabled { opacity: .55; cursor: progress; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 14px; }
.divider { display: flex; align-items: center; gap: 10px; color: var(--muted); margin: 18px 0 6px; font-size: 13px; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
.drop {
  border: 2px dashed #aab4c8; border-radius: 10px; padding: 16px; text-align: center; color: var(--muted);
  background: #fafbfd;
}
.drop.over { border-color: var(--brand); background: #eef3ff; color: var(--ink); }
.drop input { display: block; margin: 8px auto 0; max-width: 100%; }
.notice { border-radius: 8px; padding: 10px 12px; font-size: 14px; margin: 0; }
.notice.warn { background: var(--warn-bg); color: var(--warn); border: 1px solid #f3d08a; }
.notice.error { background: var(--fail-bg); color: var(--fail); border: 1px solid #f5b5ae; }
.notice.info { background: #eef3ff; color: #1e3a8a; border: 1px solid #c7d6fe; }
[hidden] { display: none !important; }
.empty { color: var(--muted); text-align: center; padding: 48px 20px; }
.empty strong { display: block; color: var(--ink); font-size: 18px; margin-bottom: 6px; }

.result { display: flex; align-items: center; gap: 18px; flex-wrap: wrap; }
.verdict {
  font-size: 22px; font-weight: 800; padding: 8px 18px; border-radius: 10px; letter-spacing: .02em;
  display: inline-flex; align-items: center; gap: 10px;
}
.verdict[data-result="verified"] { background: var(--pass-bg); color: var(--pass); }
.verdict[data-result="rejected"] { background: var(--fail-bg); color: var(--fail); }
.verdict[data-result="inconclusive"] { background: var(--warn-bg); color: var(--warn); }
.result-meta { flex: 1; min-width: 240px; font-size: 14px; color: var(--muted); }
.result-meta code { color: var(--ink); }
.reasons { list-style: none; margin: 0; padding: 0; width: 100%; }
.reasons li { padding: 8px 12px; border-radius: 8px; background: var(--fail-bg); margin-top: 6px; }
.reasons li.soft { background: var(--warn-bg); }
.reasons li.none { background: var(--pass-bg); color: var(--pass); }
.reasons code { font-weight: 700; }
.match { font-weight: 600; }
.match.yes { color: var(--pass); }
.match.no { color: var(--fail); }

.idcard {
  display: grid; grid-template-columns: 150px minmax(0, 1fr); gap: 18px; padding: 16px;
  border-radius: 14px; border: 1px solid #cfd9ee;
  background: linear-gradient(135deg, var(--card-a) 0%, #ffffff 55%, var(--card-b) 100%);
}
@media (max-width: 600px) { .idcard { grid-template-columns: 1fr; } }
.idcard-head { grid-column: 1 / -1; display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap;
  font-size: 12px; font-weight: 700; color: #9a1b1b; letter-spacing: .04em; text-transform: uppercase; }
.idcard-head span:last-child { color: var(--muted); }
.face { width: 150px; margin: 0; }
.face img {
  width: 150px; height: 200px; object-fit: cover; border-radius: 8px; border: 1px solid #b8c0cf;
  background: #e9edf3; display: block;
}
.face figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
.holder-name { font-size: 22px; font-weight: 800; margin: 0 0 8px; }
dl.fields { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 14px; margin: 0; font-size: 14px; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
dl.fields dt .vi { display: block; font-size: 12px; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 10px 28px; }
.mono { font-family: var(--mono); font-size: 13px; }

.steps { list-style: none; margin: 0; padding: 0; }
.group-title { font-size: 13px; font-weight: 700; color: var(--muted); text-transform: uppercase;
  letter-spacing: .05em; margin: 14px 0 6px; }
.group-title:first-child { margin-top: 0; }
.step {
  display: grid; grid-template-columns: 28px minmax(0, 1fr) auto; gap: 10px; align-items: start;
  padding: 8px 10px; border-radius: 8px; border: 1px solid var(--line); margin-bottom: 6px;
}
.step .icon { width: 24px; height: 24px; border-radius: 50%; display: grid; place-items: center; font-weight: 800; font-size: 14px; }
.step[data-status="pass"] .icon { background: var(--pass-bg); color: var(--pass); }
.step[data-status="fail"] { border-color: #f5b5ae; background: #fffafa; }
.step[data-status="fail"] .icon { background: var(--fail-bg); color: var(--fail); }
.step[data-status="skip"] .icon { background: var(--skip-bg); color: var(--skip); }
.step .label { font-weight: 600; }
.step .why { display: block; font-size: 13px; color: var(--muted); font-weight: 400; }
.step .why code { color: var(--fail); font-weight: 700; }
.step .state { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; }
.step[data-status="pass"] .state { color: var(--pass); }
.step[data-status="fail"] .state { color: var(--fail); }
.step[data-status="skip"] .state { color: var(--skip); }
.step .check-name { font-family: var(--mono); font-size: 12px; color: var(--muted); font-weight: 400; }

pre.json {
  background: #0f172a; color: #e2e8f0; border-radius: 10px; padding: 12px 14px; overflow: auto;
  max-height: 420px; font: 12.5px/1.45 var(--mono); margin: 0; white-space: pre-wrap; overflow-wrap: anywhere;
}
.jwt { font-family: var(--mono); font-size: 12px; overflow-wrap: anywhere; background: #f6f7fb;
  border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; max-height: 96px; overflow: auto; }
.jwt .h { color: #b42318; } .jwt .p { color: #6d28d9; } .jwt .s { color: #0f766e; }
.sig { font-size: 14px; font-weight: 600; margin: 10px 0 0; }
.sig.ok { color: var(--pass); } .sig.bad { color: var(--fail); }
.spinner { display: inline-block; width: 14px; height: 14px; border: 2px solid #c7d2fe; border-top-color: var(--brand);
  border-radius: 50%; animation: spin .8s linear infinite; vertical-align: -2px; margin-right: 6px; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }

/* Data from a chip that failed passive authentication: never shown as a clean card. */
.trust-banner { background: var(--fail); color: #fff; border-radius: 8px; padding: 10px 14px; margin: 0 0 12px;
  font-size: 14px; border: 2px solid #7a1710; }
.trust-banner strong { letter-spacing: .06em; }
.notice.unchecked { background: var(--skip-bg); color: var(--muted); border: 1px dashed #aab4c8; margin: 0 0 12px; }
#card-panel[data-trust="untrusted"] .idcard {
  border: 2px solid var(--fail);
  background: repeating-linear-gradient(135deg, #fff5f4 0 14px, #fde3e0 14px 28px);
}
#card-panel[data-trust="untrusted"] .idcard-head span:first-child::after { content: " · NOT AUTHENTIC"; }
#card-panel[data-trust="untrusted"] .idcard dl.fields dd,
#card-panel[data-trust="untrusted"] #dg1-fields dd,
#card-panel[data-trust="untrusted"] .holder-name { color: var(--muted); text-decoration: line-through; font-weight: 500; }
#card-panel[data-trust="untrusted"] .face img { filter: grayscale(1) contrast(.7); opacity: .6; }
#card-panel[data-trust="untrusted"] .face figcaption { color: var(--fail); font-weight: 700; }
#card-panel[data-trust="unchecked"] .idcard { border-style: dashed; }
dl.fields[data-forged="true"] { outline: 2px solid var(--fail); outline-offset: 4px; border-radius: 4px; }
#card-panel[data-trust] dl.fields[data-forged="true"] dd,
#card-panel[data-trust] .holder-name[data-forged="true"] {
  color: var(--fail); text-decoration: line-through 2px;
}
.face[data-forged="true"] img { outline: 3px solid var(--fail); }
.forged-note { color: var(--fail); font-weight: 700; font-size: 13px; margin: 0 0 6px; }
.upload-note { font-size: 13px; margin: 12px 0 0; padding: 8px 10px; border-radius: 8px; background: #eef3ff; }
button.link { background: none; border: 0; padding: 0; color: var(--brand); text-decoration: underline;
  font-weight: 600; font-size: 13px; }
.jwt-actions { display: flex; align-items: center; gap: 10px; margin-top: 8px; }
.jwt-actions .hint { margin: 0; }
.claims-box { border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; background: #fbfcfe; }
.claims-box dt.mono { color: var(--ink); }
.claims-box .hint { margin: 0; }
.offscreen { position: fixed; left: -9999px; top: 0; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 0 20px 24px; }
`;
