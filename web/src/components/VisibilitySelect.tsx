import { useId } from 'react';
import { Visibility } from '../gen/memoria/v1/memo_service_pb';
import { useInstanceInfo } from '../hooks/useInstanceInfo';
import { visibilityChoices } from '../lib/instance';

interface Props {
  value: Visibility;
  onChange: (v: Visibility) => void;
  disabled?: boolean;
  label?: string;
  /** Hide the label visually (it stays for screen readers). */
  compact?: boolean;
}

/**
 * Who may see a memo: Private, Signed-in users, Public — without Public when
 * the instance turned public memos off (unless it is the current value).
 */
export function VisibilitySelect({ value, onChange, disabled, label = 'Visibility', compact }: Props) {
  const id = useId();
  const { info } = useInstanceInfo();
  const options = visibilityChoices(value, info?.disallowPublicVisibility ?? false);
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
        {options.map((o) => (
          <option key={o.value} value={o.value} title={o.hint} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
    </span>
  );
}
