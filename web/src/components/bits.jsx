// Small pieces shared by the views: panels, percentage bars, empty states, labels as text.

export function Panel({ title, id, children, wide, note }) {
  return (
    <section class={wide ? 'panel wide' : 'panel'} aria-labelledby={id && `${id}-title`}>
      <h2 id={id && `${id}-title`}>{title}{note && <span class="note">{note}</span>}</h2>
      {children}
    </section>
  );
}

// A percentage as a bar; warn/crit colour it past those percents, share=true draws a neutral
// share of a whole (TCP states, component time).
export function Bar({ pct, warn = 80, crit = 95, label, share = false }) {
  if (pct == null || Number.isNaN(pct)) return null;
  const level = share ? 'share' : pct >= crit ? 'crit' : pct >= warn ? 'warn' : 'ok';
  return (
    <span class={`meter ${level}`} role="img" aria-label={label || `${pct.toFixed(1)} percent`}>
      <span class="fill" style={{ width: `${Math.max(0, Math.min(100, pct))}%` }} />
    </span>
  );
}

export function Empty({ children, id }) {
  return <div class="empty" id={id}>{children}</div>;
}

export function Labels({ labels, skip = [] }) {
  const entries = Object.entries(labels || {}).filter(([k]) => !skip.includes(k));
  if (!entries.length) return null;
  return (
    <span class="labels">
      {entries.map(([k, v]) => <span key={k} class="label"><span class="k">{k}</span>{v}</span>)}
    </span>
  );
}

// A path that may wrap after each '/', not in the middle of a name.
export function Path({ text }) {
  const parts = String(text).split('/');
  return <>{parts.map((p, i) => (i ? <><wbr />/{p}</> : p))}</>;
}

export function Severity({ value }) {
  return <span class={`sev sev-${String(value || 'none').toLowerCase()}`}>{value || '–'}</span>;
}

// A table head from 'Text:classes|title' specs; an empty text is an unlabelled actions column
// (named for screen readers).
export function Head({ cols }) {
  return (
    <thead>
      <tr>
        {cols.map((spec, i) => {
          const [main, title] = spec.split('|');
          const [text, cls] = main.split(':');
          return (
            <th key={i} class={cls || undefined} title={title}>
              {text || <span class="sr-only">Actions</span>}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}
