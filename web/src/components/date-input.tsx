// A date field in the page's language (issue 11, item 10): Chromium's <input type="date"> writes the date
// in the browser's locale (mm/dd/yyyy on an en-US browser, even on a Russian page), so the field is text
// in the pattern the page shows dates in (format.ts dayText), read back by parseDay. A date that is not
// a real day, or falls outside min..max, is not taken: the field says what it expects.
import { useEffect, useState } from 'preact/hooks';
import { dayHint, dayText, parseDay } from '../format.js';
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
