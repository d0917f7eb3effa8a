// Light/dark theme: html[data-theme], first from localStorage, else from prefers-color-scheme.
// Canvas colours cannot follow CSS variables by themselves, so charts read them from here and
// are redrawn when the theme changes.
import { createStore } from './store.js';

const KEY = 'perfwatch.theme';

function initial() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // No storage: follow the system.
  }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const theme = createStore(initial());
document.documentElement.dataset.theme = theme.get();

export function toggleTheme() {
  const next = theme.get() === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // The choice then lasts until the page is reloaded.
  }
  theme.set(next);
}

export const PALETTE_SIZE = 10;

// The chart colours of the current theme, from app.css's variables.
export function chartColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    axis: v('--muted'),
    grid: v('--grid'),
    palette: Array.from({ length: PALETTE_SIZE }, (_, i) => v(`--c${i}`)),
  };
}
