// Tasks (callbacks after missed calls, next steps from wrap-ups) with "done" and click-to-call.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText, useUser } from '../app.js';
import { t, tKey } from '../i18n.js';
import { dateTime, phoneText } from '../format.js';
import type { Task } from '../types.js';
import { ClickToCall } from './click-to-call.js';

export function TaskList({ tasks, onChanged, showAssignee = false }: { tasks: Task[]; onChanged?: (t: Task) => void; showAssignee?: boolean }) {
  const [error, setError] = useState<string | null>(null);
  // Click-to-call rings the user's own phone first: without an extension there is nothing to ring.
  const canCall = Boolean(useUser().extension);
  async function done(task: Task) {
    try {
      const r = await api.patch<Task>(`/api/v1/tasks/${encodeURIComponent(task.id)}`, { done: true });
      setError(null);
      onChanged?.(r ?? { ...task, doneAt: new Date().toISOString() });
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <div data-testid="tasks-list">
      {error && <p class="notice error" role="alert">{error}</p>}
      {tasks.length === 0 ? <p class="muted">{t('noTasks')}</p> : (
        <ul class="tasks">
          {tasks.map((task) => (
            <li key={task.id} data-testid="task-row" data-task-id={task.id} data-kind={task.kind} data-call-id={task.callId ?? ''}
              class={task.overdue ? 'overdue' : ''}>
              <strong>{tKey('task_', task.kind)}</strong>
              {(task.clientName || task.contactName) && (
                <> <span data-testid="task-client">{[task.contactName, task.clientName].filter(Boolean).join(', ')}</span></>
              )}
              {task.number && <> {phoneText(task.number)}</>}
              {task.missedAt && <> · <span data-testid="task-missed-at">{t('missedAt', { at: dateTime(task.missedAt) })}</span></>}
              {' · '}<span data-testid="task-due">{t('due')}: {dateTime(task.dueAt)}</span>
              {task.overdue && !task.doneAt && <>{' '}<mark class="overdue-mark" data-testid="task-overdue">{t('overdue')}</mark></>}
              {task.missedCount > 1 && task.lastMissedAt && (
                <> · <span data-testid="task-missed">{t('missedTimes', { count: String(task.missedCount), at: dateTime(task.lastMissedAt) })}</span></>
              )}
              {showAssignee && <> · {t('assignee')}: {task.assigneeName}</>}
              {task.description && <div><small>{task.description}</small></div>}
              <div class="task-actions">
                {task.doneAt ? <small class="muted">{t('done')}</small> : (
                  <>
                    {task.contactId && !location.hash.startsWith(`#/contacts/${task.contactId}`) && <a href={`#/contacts/${task.contactId}`}>{t('openCard')}</a>}
                    {task.number && canCall && <ClickToCall number={task.number} contactId={task.contactId ?? undefined} />}
                    <button class="secondary outline small" data-testid="task-done" onClick={() => void done(task)}>{t('markDone')}</button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
