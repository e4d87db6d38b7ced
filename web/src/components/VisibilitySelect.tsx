import { useId } from 'react';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import { visibilityOptions } from '../lib/format';

interface Props {
  value: Visibility;
  onChange: (v: Visibility) => void;
  disabled?: boolean;
  label?: string;
  /** Hide the label visually (it stays for screen readers). */
  compact?: boolean;
}

/** Who may see a memo: Private, Signed-in users, Public. */
export function VisibilitySelect({ value, onChange, disabled, label = 'Visibility', compact }: Props) {
  const id = useId();
  return (
    <span className={compact ? 'select-field compact' : 'select-field'}>
      <label htmlFor={id} className={compact ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <select
        id={id}
        value={value === Visibility.UNSPECIFIED ? Visibility.PRIVATE : value}
        disabled={disabled}
        onChange={(e) => onChange(Number(e.target.value) as Visibility)}
      >
        {visibilityOptions.map((o) => (
          <option key={o.value} value={o.value} title={o.hint}>
            {o.label}
          </option>
        ))}
      </select>
    </span>
  );
}
