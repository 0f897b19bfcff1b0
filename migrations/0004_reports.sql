CREATE TABLE `call_outcome_stats_hourly` (
	`hour_start` integer NOT NULL,
	`extension` text,
	`direction` text NOT NULL,
	`outcome` text NOT NULL,
	`calls` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_outcome_stats_hourly_idx` ON `call_outcome_stats_hourly` (`hour_start`,`extension`,`direction`);--> statement-breakpoint
CREATE TABLE `call_stats_hourly` (
	`hour_start` integer NOT NULL,
	`extension` text,
	`direction` text NOT NULL,
	`calls` integer NOT NULL,
	`answered` integer NOT NULL,
	`ring_answered_ms` integer NOT NULL,
	`talk_ms` integer NOT NULL,
	`max_talk_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_stats_hourly_idx` ON `call_stats_hourly` (`hour_start`,`extension`,`direction`);--> statement-breakpoint
CREATE INDEX `calls_report_idx` ON `calls` (`started_at`,`extension`,`direction`,`state`,`disposition`,`ring_ms`,`talk_ms`);--> statement-breakpoint
CREATE INDEX `tasks_kind_due_idx` ON `tasks` (`kind`,`due_at`);--> statement-breakpoint
-- Hand-written below this line (drizzle-kit does not model triggers): the hourly report aggregates are
-- recomputed bucket by bucket (one UTC hour of one extension) from calls whenever a call in the bucket is
-- written; see src/db/schema/reports.ts. Backfill first, then the triggers.
INSERT INTO call_stats_hourly (hour_start, extension, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
  SELECT started_at - started_at % 3600000, extension, direction, count(*), sum(disposition = 'answered'),
    coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
  FROM calls WHERE state = 'ended' GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
  SELECT c.started_at - c.started_at % 3600000, c.extension, c.direction, w.outcome, count(*)
  FROM calls c JOIN call_wrapups w ON w.call_id = c.id WHERE c.state = 'ended' GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE TRIGGER calls_reports_ai AFTER INSERT ON calls WHEN NEW.state = 'ended' BEGIN
  DELETE FROM call_stats_hourly WHERE hour_start = (NEW.started_at - NEW.started_at % 3600000) AND extension IS NEW.extension;
  INSERT INTO call_stats_hourly (hour_start, extension, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
    SELECT (NEW.started_at - NEW.started_at % 3600000), NEW.extension, direction, count(*), sum(disposition = 'answered'),
      coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
    FROM calls WHERE extension IS NEW.extension AND started_at >= (NEW.started_at - NEW.started_at % 3600000) AND started_at < (NEW.started_at - NEW.started_at % 3600000) + 3600000 AND state = 'ended'
    GROUP BY direction;
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (NEW.started_at - NEW.started_at % 3600000) AND extension IS NEW.extension;
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (NEW.started_at - NEW.started_at % 3600000), NEW.extension, c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS NEW.extension AND c.started_at >= (NEW.started_at - NEW.started_at % 3600000) AND c.started_at < (NEW.started_at - NEW.started_at % 3600000) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
END;
--> statement-breakpoint
CREATE TRIGGER calls_reports_au AFTER UPDATE OF state, direction, extension, started_at, disposition, ring_ms, talk_ms ON calls
WHEN OLD.state = 'ended' OR NEW.state = 'ended' BEGIN
  DELETE FROM call_stats_hourly WHERE hour_start = (OLD.started_at - OLD.started_at % 3600000) AND extension IS OLD.extension;
  INSERT INTO call_stats_hourly (hour_start, extension, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
    SELECT (OLD.started_at - OLD.started_at % 3600000), OLD.extension, direction, count(*), sum(disposition = 'answered'),
      coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
    FROM calls WHERE extension IS OLD.extension AND started_at >= (OLD.started_at - OLD.started_at % 3600000) AND started_at < (OLD.started_at - OLD.started_at % 3600000) + 3600000 AND state = 'ended'
    GROUP BY direction;
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (OLD.started_at - OLD.started_at % 3600000) AND extension IS OLD.extension;
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (OLD.started_at - OLD.started_at % 3600000), OLD.extension, c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS OLD.extension AND c.started_at >= (OLD.started_at - OLD.started_at % 3600000) AND c.started_at < (OLD.started_at - OLD.started_at % 3600000) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
  DELETE FROM call_stats_hourly WHERE hour_start = (NEW.started_at - NEW.started_at % 3600000) AND extension IS NEW.extension;
  INSERT INTO call_stats_hourly (hour_start, extension, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
    SELECT (NEW.started_at - NEW.started_at % 3600000), NEW.extension, direction, count(*), sum(disposition = 'answered'),
      coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
    FROM calls WHERE extension IS NEW.extension AND started_at >= (NEW.started_at - NEW.started_at % 3600000) AND started_at < (NEW.started_at - NEW.started_at % 3600000) + 3600000 AND state = 'ended'
    GROUP BY direction;
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (NEW.started_at - NEW.started_at % 3600000) AND extension IS NEW.extension;
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (NEW.started_at - NEW.started_at % 3600000), NEW.extension, c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS NEW.extension AND c.started_at >= (NEW.started_at - NEW.started_at % 3600000) AND c.started_at < (NEW.started_at - NEW.started_at % 3600000) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
END;
--> statement-breakpoint
CREATE TRIGGER calls_reports_ad AFTER DELETE ON calls WHEN OLD.state = 'ended' BEGIN
  DELETE FROM call_stats_hourly WHERE hour_start = (OLD.started_at - OLD.started_at % 3600000) AND extension IS OLD.extension;
  INSERT INTO call_stats_hourly (hour_start, extension, direction, calls, answered, ring_answered_ms, talk_ms, max_talk_ms)
    SELECT (OLD.started_at - OLD.started_at % 3600000), OLD.extension, direction, count(*), sum(disposition = 'answered'),
      coalesce(sum(CASE WHEN disposition = 'answered' THEN ring_ms END), 0), sum(talk_ms), max(talk_ms)
    FROM calls WHERE extension IS OLD.extension AND started_at >= (OLD.started_at - OLD.started_at % 3600000) AND started_at < (OLD.started_at - OLD.started_at % 3600000) + 3600000 AND state = 'ended'
    GROUP BY direction;
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (OLD.started_at - OLD.started_at % 3600000) AND extension IS OLD.extension;
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (OLD.started_at - OLD.started_at % 3600000), OLD.extension, c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS OLD.extension AND c.started_at >= (OLD.started_at - OLD.started_at % 3600000) AND c.started_at < (OLD.started_at - OLD.started_at % 3600000) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
END;
--> statement-breakpoint
CREATE TRIGGER call_wrapups_reports_ai AFTER INSERT ON call_wrapups BEGIN
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id) AND extension IS (SELECT extension FROM calls WHERE id = NEW.call_id);
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id), (SELECT extension FROM calls WHERE id = NEW.call_id), c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS (SELECT extension FROM calls WHERE id = NEW.call_id) AND c.started_at >= (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id) AND c.started_at < (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
END;
--> statement-breakpoint
CREATE TRIGGER call_wrapups_reports_au AFTER UPDATE ON call_wrapups BEGIN
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id) AND extension IS (SELECT extension FROM calls WHERE id = OLD.call_id);
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id), (SELECT extension FROM calls WHERE id = OLD.call_id), c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS (SELECT extension FROM calls WHERE id = OLD.call_id) AND c.started_at >= (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id) AND c.started_at < (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id) AND extension IS (SELECT extension FROM calls WHERE id = NEW.call_id);
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id), (SELECT extension FROM calls WHERE id = NEW.call_id), c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS (SELECT extension FROM calls WHERE id = NEW.call_id) AND c.started_at >= (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id) AND c.started_at < (SELECT started_at - started_at % 3600000 FROM calls WHERE id = NEW.call_id) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
END;
--> statement-breakpoint
CREATE TRIGGER call_wrapups_reports_ad AFTER DELETE ON call_wrapups BEGIN
  DELETE FROM call_outcome_stats_hourly WHERE hour_start = (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id) AND extension IS (SELECT extension FROM calls WHERE id = OLD.call_id);
  INSERT INTO call_outcome_stats_hourly (hour_start, extension, direction, outcome, calls)
    SELECT (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id), (SELECT extension FROM calls WHERE id = OLD.call_id), c.direction, w.outcome, count(*)
    FROM calls c JOIN call_wrapups w ON w.call_id = c.id
    WHERE c.extension IS (SELECT extension FROM calls WHERE id = OLD.call_id) AND c.started_at >= (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id) AND c.started_at < (SELECT started_at - started_at % 3600000 FROM calls WHERE id = OLD.call_id) + 3600000 AND c.state = 'ended'
    GROUP BY c.direction, w.outcome;
END;
