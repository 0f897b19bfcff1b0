// My open tasks; for supervisors also the overdue ones of everyone, kept live by task:* events.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText, isSupervisor, useUser } from '../app.js';
import { t } from '../i18n.js';
import { subscribe } from '../realtime.js';
import { TaskList } from '../components/task-list.js';
import type { Page, Task } from '../types.js';

const byDue = (a: Task, b: Task) => a.dueAt.localeCompare(b.dueAt);

/** Every task of a filter, page after page (soonest due first: one page of 100 would leave out the newest). */
async function allTasks(query: Record<string, string>): Promise<Task[]> {
  const out: Task[] = [];
  let cursor: string | null = null;
  do {
    const r: Page<Task> = await api.get<Page<Task>>('/api/v1/tasks', { ...query, limit: 100, cursor });
    out.push(...r.items);
    cursor = r.nextCursor;
  } while (cursor && out.length < 2000);
  return out.sort(byDue);
}

/** Puts a changed task into a list (or takes it out when it no longer belongs there). */
function upsert(list: Task[], task: Task, belongs: (t: Task) => boolean): Task[] {
  const rest = list.filter((x) => x.id !== task.id);
  return (belongs(task) ? [...rest, task] : rest).sort(byDue);
}

export function TasksPage() {
  const user = useUser();
  const sup = isSupervisor(user);
  const [mine, setMine] = useState<Task[] | null>(null);
  const [overdue, setOverdue] = useState<Task[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    allTasks({ assignee: 'me', state: 'open' })
      .then(setMine)
      .catch((e) => setError(errorText(e)));
    if (sup) {
      allTasks({ state: 'overdue' })
        .then(setOverdue)
        .catch((e) => setError(errorText(e)));
    }
  }, []);

  useEffect(() => {
    const isMineOpen = (x: Task) => x.assigneeId === user.id && !x.doneAt;
    const isOverdue = (x: Task) => x.overdue && !x.doneAt;
    const on = (x: Task) => {
      setMine((l) => (l ? upsert(l, x, isMineOpen) : l));
      if (sup) setOverdue((l) => upsert(l ?? [], x, isOverdue));
    };
    const offs = [subscribe('task:created', on), subscribe('task:updated', on), subscribe('task:overdue', on)];
    return () => offs.forEach((off) => off());
  }, []);

  const changed = (x: Task) => {
    setMine((l) => (l ? l.filter((y) => y.id !== x.id || !x.doneAt) : l));
    setOverdue((l) => (l ? l.filter((y) => y.id !== x.id || !x.doneAt) : l));
  };

  return (
    <section>
      <h2>{t('tasksTitle')}</h2>
      {error && <p class="notice error" role="alert">{error}</p>}
      <h3>{t('myTasks')}</h3>
      {mine === null ? <p aria-busy="true">{t('loading')}</p> : <TaskList tasks={mine} onChanged={changed} />}
      {sup && (
        <div data-testid="overdue-tasks">
          <h3>{t('overdueTasks')}</h3>
          {overdue === null ? <p aria-busy="true">{t('loading')}</p> : <TaskList tasks={overdue} onChanged={changed} showAssignee />}
        </div>
      )}
    </section>
  );
}
