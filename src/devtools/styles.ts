/** The panel's style sheet, scoped by its shadow root: nothing leaks in or out. */
export const STYLES = `
:host { all: initial; display: block; }
.panel {
  --bg: #14161b; --fg: #e6e8ee; --muted: #9aa3b2; --line: #2b303b; --accent: #7cc4ff;
  --ok: #6fdc8c; --bad: #ff8383; --warn: #ffd166; --add: #6fdc8c; --del: #ff8383;
  font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  display: flex; flex-direction: column; min-height: 0; box-sizing: border-box;
  height: var(--theus-devtools-height, 420px);
  overflow: hidden;
}
*, *::before, *::after { box-sizing: inherit; }
header { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; padding: 6px 8px;
  border-bottom: 1px solid var(--line); }
header h2 { font-size: 12px; margin: 0; color: var(--accent); }
.travel { display: flex; gap: 4px; align-items: center; margin-left: auto; }
.travel input { width: 120px; accent-color: var(--accent); }
button { font: inherit; color: var(--fg); background: #232733; border: 1px solid var(--line);
  border-radius: 4px; padding: 1px 7px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
[role=tablist] { display: flex; flex-wrap: wrap; border-bottom: 1px solid var(--line); }
[role=tab] { border: 0; border-radius: 0; background: none; padding: 5px 9px; color: var(--muted);
  border-bottom: 2px solid transparent; }
[role=tab][aria-selected=true] { color: var(--fg); border-bottom-color: var(--accent); }
[role=tabpanel] { overflow: auto; padding: 6px 8px; flex: 1; min-height: 0; }
ol, ul { list-style: none; margin: 0; padding: 0; }
li.row { border-bottom: 1px solid var(--line); padding: 4px 0; }
.muted { color: var(--muted); }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.badge { display: inline-block; padding: 0 5px; border-radius: 3px; background: #232733; }
.level-S, .level-A { color: var(--bad); } .level-B { color: var(--warn); } .level-C { color: var(--muted); }
.diff { margin: 2px 0 0 12px; }
.diff .add { color: var(--add); } .diff .remove { color: var(--del); } .diff .replace { color: var(--fg); }
.before { color: var(--del); text-decoration: line-through; } .after { color: var(--add); }
details > summary { cursor: pointer; }
.tree { margin-left: 14px; }
.key { color: var(--accent); }
.halted { color: var(--bad); font-weight: bold; }
.notice { padding: 4px 8px; border-top: 1px solid var(--line); color: var(--warn); }
.notice:empty { display: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 2px 6px 2px 0; border-bottom: 1px solid var(--line); }
th { font-weight: normal; color: var(--accent); }
.current { color: var(--accent); font-weight: bold; }
.undone { opacity: .5; }
h3 { font-size: 12px; margin: 8px 0 2px; }
`
