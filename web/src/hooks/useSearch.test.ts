// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SEARCH_DEBOUNCE_MS, useSearch, type Search } from './useSearch';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function mount(): { current: () => Search; unmount: () => void } {
  let last: Search | undefined;
  function Probe() {
    last = useSearch();
    return null;
  }
  const el = document.createElement('div');
  const root = createRoot(el);
  act(() => root.render(createElement(Probe)));
  return { current: () => last!, unmount: () => act(() => root.unmount()) };
}

describe('useSearch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    window.history.replaceState(null, '', '/?tag=go');
  });
  afterEach(() => vi.useRealTimers());

  it('searches only after typing pauses, and keeps the query in the URL', () => {
    const s = mount();
    act(() => s.current().setInput('qua'));
    act(() => vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS - 10));
    act(() => s.current().setInput('quantum '));
    act(() => vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS - 10));
    expect(s.current().query).toBe('');
    act(() => vi.advanceTimersByTime(20));
    expect(s.current().query).toBe('quantum');
    expect(new URL(window.location.href).searchParams.get('q')).toBe('quantum');
    expect(new URL(window.location.href).searchParams.get('tag')).toBe('go');
    s.unmount();
  });

  it('starts from the URL and clears at once', () => {
    window.history.replaceState(null, '', '/?q=%E9%87%8F%E5%AD%90');
    const s = mount();
    expect(s.current().input).toBe('量子');
    expect(s.current().query).toBe('量子');
    act(() => s.current().clear());
    expect(s.current().query).toBe('');
    expect(new URL(window.location.href).searchParams.has('q')).toBe(false);
    s.unmount();
  });
});
