// A wide table's box (issue 11, item 10): the table scrolls sideways inside it, and the box shows that it
// does: a fade on the edge that has more columns behind it, a shadow under the sticky first column once
// columns have gone under it, and a line saying so. data-more-left / data-more-right carry the state
// (style.css draws from them; the e2e tests read them).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';

export function ScrollFrame({ children, testid }: { children: ComponentChildren; testid: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [edges, setEdges] = useState({ left: false, right: false });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => {
      // 1 px of slack: fractional widths round differently in scrollWidth and clientWidth.
      const left = el.scrollLeft > 1;
      const right = el.scrollLeft + el.clientWidth < el.scrollWidth - 1;
      setEdges((e) => (e.left === left && e.right === right ? e : { left, right }));
      // A note spanning the table's row (style.css .sticky-note) stays in view beside the sticky column.
      const first = el.querySelector<HTMLElement>('tr > :first-child');
      if (first) el.style.setProperty('--sticky-left', `${first.offsetWidth}px`);
    };
    measure();
    el.addEventListener('scroll', measure, { passive: true });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => {
      el.removeEventListener('scroll', measure);
      ro.disconnect();
    };
  }, []);
  const wide = edges.left || edges.right;
  return (
    <div class="scroll-frame" data-more-left={edges.left ? '' : undefined} data-more-right={edges.right ? '' : undefined}>
      {wide && <small class="muted scroll-hint" data-testid={`${testid}-hint`}>{t('scrollHint')}</small>}
      <div class="scroll-box" ref={box} data-testid={testid}>
        {children}
      </div>
    </div>
  );
}
