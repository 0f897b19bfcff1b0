// A task (a callback for a missed call, a follow-up) as the API and the socket send it
// (src/tasks/tasks.ts taskView builds it).
import type { TaskKind } from './enums.js';

export interface TaskView {
  id: string;
  kind: TaskKind;
  callId: string | null;
  contactId: string | null;
  clientId: string | null;
  number: string | null;
  assigneeId: string;
  assigneeName: string;
  dueAt: string;
  doneAt: string | null;
  description: string | null;
  createdAt: string;
  overdue: boolean;
  /** Callbacks: how many missed calls from this number it stands for (one task while open); 0 for other tasks. */
  missedCount: number;
  /** Callbacks: when the newest of those calls ended. */
  lastMissedAt: string | null;
  /** The client and contact the task is about, by name (null when unknown or gone). */
  clientName: string | null;
  contactName: string | null;
  /** Callbacks: when the missed call the task was made for rang (its start); null for other tasks. */
  missedAt: string | null;
}
