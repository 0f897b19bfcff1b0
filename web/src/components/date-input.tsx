// A date field in the page's language (issue 11, item 10): Chromium's <input type="date"> writes the date
// in the browser's locale (mm/dd/yyyy on an en-US browser, even on a Russian page), so the field is text
// in the pattern the page shows dates in (format.ts dayText), read back by parseDay. A date that is not
// a real day, or falls outside min..max, is not taken: the field says what it expects.
import { useEffect, useState } from 'preact/hooks';
import { dayHint, dayText, parseDay, parseTime } from '../format.js';
import { t } from '../i18n.js';

interface Props {
  /** YYYY-MM-DD */
  value: string;
  onChange: (ymd: string) => void;
  min?: string;
  max?: string;
  testid: string;
}

export function DateInput({ value, onChange, min, max, testid }: Props) {
  const [text, setText] = useState(dayText(value));
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setText(dayText(value));
    setProblem(null);
  }, [value]);

  function commit() {
    if (text.trim() === dayText(value)) return setProblem(null);
    const ymd = parseDay(text);
    if (!ymd) return setProblem(t('dateInvalid', { pattern: dayHint() }));
    if (min && ymd < min) return setProblem(t('dateTooEarly', { date: dayText(min) }));
    if (max && ymd > max) return setProblem(t('dateTooLate', { date: dayText(max) }));
    setProblem(null);
    setText(dayText(ymd));
    if (ymd !== value) onChange(ymd);
  }

  return (
    <>
      <input
        type="text" inputMode="numeric" autoComplete="off" data-testid={testid} value={text} placeholder={dayHint()}
        aria-invalid={problem ? 'true' : undefined} aria-describedby={problem ? `${testid}-problem` : undefined}
        onInput={(e) => setText(e.currentTarget.value)} onBlur={commit}
        onKeyDown={(e) => { if (e.key === 'Enter') commit(); }}
      />
      {problem && <small id={`${testid}-problem`} class="date-problem" data-testid={`${testid}-problem`}>{problem}</small>}
    </>
  );
}

/**
 * A local date and time ("YYYY-MM-DDTHH:mm", as <input type="datetime-local"> gives it, or '' for none)
 * as two text fields in the page's language: the date as dayText writes it and a 24-hour time. Read at
 * every keystroke, so the form always has what the fields say; a date or time that is not one blocks the
 * form's submit (the field's validity) and, once the field is left, says what it expects.
 */
export function DateTimeInput({ value, onChange, min, testid }: { value: string; onChange: (local: string) => void; min?: string; testid: string }) {
  const [day, setDay] = useState(value ? dayText(value.slice(0, 10)) : '');
  const [time, setTime] = useState(value ? value.slice(11, 16) : '');
  const [problem, setProblem] = useState<{ field: 'date' | 'time'; text: string } | null>(null);
  const [shown, setShown] = useState(false);

  function read(d: string, tm: string, field: HTMLInputElement) {
    let msg: { field: 'date' | 'time'; text: string } | null = null;
    let next = '';
    if (d.trim() || tm.trim()) {
      const ymd = parseDay(d);
      const hm = parseTime(tm);
      if (!ymd) msg = { field: 'date', text: t('dateInvalid', { pattern: dayHint() }) };
      else if (!hm) msg = { field: 'time', text: t('timeInvalid') };
      else if (min && `${ymd}T${hm}` < min) msg = { field: 'date', text: t('dateTimeTooEarly') };
      else next = `${ymd}T${hm}`;
    }
    setProblem(msg);
    // The form does not submit while a field says something that is not a date and time.
    for (const el of field.parentElement?.querySelectorAll('input') ?? []) el.setCustomValidity(msg?.text ?? '');
    onChange(next);
  }

  return (
    <>
      <span class="date-time">
        <input
          type="text" inputMode="numeric" autoComplete="off" data-testid={testid} value={day} placeholder={dayHint()}
          aria-invalid={shown && problem?.field === 'date' ? 'true' : undefined}
          onInput={(e) => {
            const el = e.currentTarget;
            // A whole local date-time pasted ("2026-12-02T10:00") fills both fields.
            const whole = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(el.value.trim());
            if (whole) {
              setDay(dayText(whole[1]));
              setTime(whole[2]!);
              return read(whole[1]!, whole[2]!, el);
            }
            setDay(el.value);
            read(el.value, time, el);
          }}
          onBlur={() => {
            setShown(true);
            // Typed with other separators (5.12.2026 on an English page): written back as the page writes dates.
            const ymd = parseDay(day);
            if (ymd) setDay(dayText(ymd));
          }}
        />
        <input
          type="text" inputMode="numeric" autoComplete="off" data-testid={`${testid}-time`} value={time} placeholder={t('timeHint')}
          aria-invalid={shown && problem?.field === 'time' ? 'true' : undefined}
          onInput={(e) => { setTime(e.currentTarget.value); read(day, e.currentTarget.value, e.currentTarget); }}
          onBlur={() => setShown(true)}
        />
      </span>
      {shown && problem && <small class="date-problem" data-testid={`${testid}-problem`}>{problem.text}</small>}
    </>
  );
}
