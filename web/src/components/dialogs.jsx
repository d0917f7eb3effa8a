// Modal dialogs (native <dialog>): acknowledge an alert, silence it, and ask for the API token
// when a write was refused with 401.
import { useEffect, useRef, useState } from 'preact/hooks';
import { createStore, useStore } from '../lib/store.js';
import { tokenRequest } from '../lib/api.js';
import { acknowledge, silence, rememberedUser, rememberUser } from '../lib/alerts.js';
import { labelText } from '../lib/format.js';

export const ackTarget = createStore(null); // the alert being acknowledged
export const silenceTarget = createStore(null); // the alert being silenced

const DURATIONS = [['15m', 15], ['1h', 60], ['4h', 240], ['24h', 1440]];

// Shows the dialog while `open`, and reports Escape or the close button as onCancel.
function useModal(open, onCancel) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    const cancel = (e) => {
      e.preventDefault();
      onCancel();
    };
    d.addEventListener('cancel', cancel);
    return () => d.removeEventListener('cancel', cancel);
  }, [onCancel]);
  return ref;
}

function useSubmit(action, close) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await action(e.currentTarget.elements);
      close();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return { submit, error, busy, reset: () => setError('') };
}

function Actions({ busy, onCancel, label }) {
  return (
    <div class="actions">
      <button type="button" onClick={onCancel}>Cancel</button>
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Sending…' : label}</button>
    </div>
  );
}

function NameField() {
  return (
    <label>
      Your name <input name="by" required autocomplete="name" value={rememberedUser()} />
    </label>
  );
}

function AlertSummary({ alert }) {
  if (!alert) return null;
  return (
    <p class="dialog-alert">
      <b>{alert.labels?.alertname || alert.rule}</b>{' '}
      <span class="muted">{labelText(alert.labels, ['alertname'])}</span>
    </p>
  );
}

export function AckDialog() {
  const alert = useStore(ackTarget);
  const close = () => ackTarget.set(null);
  const ref = useModal(!!alert, close);
  const { submit, error, busy } = useSubmit(async (f) => {
    rememberUser(f.by.value);
    await acknowledge(alert.id, f.by.value, f.comment.value);
  }, close);
  return (
    <dialog id="ack-dialog" ref={ref} aria-labelledby="ack-title">
      <form onSubmit={submit} key={alert?.id}>
        <h2 id="ack-title">Acknowledge alert</h2>
        <AlertSummary alert={alert} />
        <p class="muted">It stops repeating until it resolves or gets worse.</p>
        <NameField />
        <label>Comment <input name="comment" placeholder="on it" /></label>
        {error && <p class="error" role="alert">{error}</p>}
        <Actions busy={busy} onCancel={close} label="Acknowledge" />
      </form>
    </dialog>
  );
}

export function SilenceDialog() {
  const alert = useStore(silenceTarget);
  const close = () => silenceTarget.set(null);
  const ref = useModal(!!alert, close);
  const { submit, error, busy } = useSubmit(async (f) => {
    const minutes = DURATIONS.find(([v]) => v === f.duration.value)?.[1] ?? 60;
    rememberUser(f.by.value);
    await silence(alert, minutes, f.by.value, f.comment.value);
  }, close);
  return (
    <dialog id="silence-dialog" ref={ref} aria-labelledby="silence-title">
      <form onSubmit={submit} key={alert?.id}>
        <h2 id="silence-title">Silence alert</h2>
        <AlertSummary alert={alert} />
        <p class="muted">
          Matches every alert with exactly these labels; it is tracked but not notified.
        </p>
        <label>For
          <select name="duration">
            {DURATIONS.map(([v]) => <option key={v} value={v} selected={v === '1h'}>{v}</option>)}
          </select>
        </label>
        <NameField />
        <label>Comment <input name="comment" placeholder="maintenance" /></label>
        {error && <p class="error" role="alert">{error}</p>}
        <Actions busy={busy} onCancel={close} label="Silence" />
      </form>
    </dialog>
  );
}

export function TokenDialog() {
  const req = useStore(tokenRequest);
  const [value, setValue] = useState('');
  const finish = (token) => {
    req?.resolve(token);
    tokenRequest.set(null);
    setValue('');
  };
  const ref = useModal(!!req, () => finish(null));
  const submit = (e) => {
    e.preventDefault();
    finish(e.currentTarget.elements.token.value.trim() || null);
  };
  return (
    <dialog id="token-dialog" ref={ref} aria-labelledby="token-title">
      <form onSubmit={submit}>
        <h2 id="token-title">API token needed</h2>
        <p class="muted">
          {req?.reason || ''} This perfwatch requires a bearer token for changes (server.token).
          It is kept in this browser only.
        </p>
        <label>Token
          <input name="token" type="password" autocomplete="off" required value={value}
            onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="button" onClick={() => finish(null)}>Cancel</button>
          <button type="submit" class="primary">Save and retry</button>
        </div>
      </form>
    </dialog>
  );
}
