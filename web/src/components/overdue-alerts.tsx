// Supervisors: a task that passes its due time undone is announced on whatever page they are on.
import { useEffect, useState } from 'preact/hooks';
import { t, tKey } from '../i18n.js';
import { subscribe } from '../realtime.js';
import type { Task } from '../types.js';

export function OverdueAlerts() {
  const [alerts, setAlerts] = useState<Task[]>([]);
  useEffect(() => subscribe('task:overdue', (task) => {
    setAlerts((l) => [...l.filter((x) => x.id !== task.id), task].slice(-3));
    setTimeout(() => setAlerts((l) => l.filter((x) => x.id !== task.id)), 15_000);
  }), []);
  if (alerts.length === 0) return null;
  return (
    <div class="toasts" role="status">
      {alerts.map((a) => (
        <a key={a.id} class="toast" href="#/tasks" data-testid="overdue-alert">
          {t('newOverdue', { what: `${tKey('task_', a.kind)}${a.number ? ` ${a.number}` : ''}`, assignee: a.assigneeName })}
        </a>
      ))}
    </div>
  );
}
