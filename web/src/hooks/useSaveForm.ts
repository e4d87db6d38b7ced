import { useState, type FormEvent } from 'react';
import type { Action } from './useAction';

/**
 * The submit handler of a settings form: runs save, shows "Saved" when it
 * worked and hands the saved value on. A field's change calls setSaved(false).
 */
export function useSaveForm<R>(save: Action<[], R>, onSaved: (saved: R) => void) {
  const [saved, setSaved] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const r = await save.run();
    if (r !== undefined) {
      setSaved(true);
      onSaved(r);
    }
  }
  return { saved, setSaved, submit };
}
