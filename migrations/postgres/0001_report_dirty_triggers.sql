-- Hand-written (drizzle-kit does not model triggers): PostgreSQL's counterpart of the SQLite triggers of
-- migrations 0005_report_dirty and 0010_unique_extension. A write of an ended call, or of any wrap-up,
-- notes the report bucket it touches (UTC hour of the call's start x its extension, '' for none) in
-- report_dirty; src/reports/aggregates.ts recomputes noted buckets before every report. The same buckets
-- as SQLite's, for the same writes: INSERT and DELETE of an ended call, an UPDATE OF the same columns
-- where the call was or becomes ended (its old and its new bucket), every write of a wrap-up (its call's
-- bucket, old and new call on an update).
--
-- The SQLite migrations' data steps (the backfills of 0004, 0007 and 0010) have nothing to do here:
-- PostgreSQL's schema starts empty at 0000_init, with every column and index of SQLite's latest.
--
-- Why an upsert that updates, not DO NOTHING: several connections write at once here. The refresh claims
-- its buckets (DELETE ... FOR UPDATE SKIP LOCKED, src/db/reports.ts) and recomputes them from what is
-- committed. A writer's note holds the bucket's row locked until the writer commits, so the refresh
-- leaves that bucket noted for the next report instead of recomputing it without the write, and a note
-- made after the refresh claimed the row waits for it to commit, then notes the bucket again. DO NOTHING
-- takes no lock on a row already there and would let a write land after the recomputation, unnoted.
CREATE FUNCTION report_dirty_note(call_started_at bigint, call_extension text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO report_dirty (hour_start, extension) VALUES (call_started_at - call_started_at % 3600000, coalesce(call_extension, ''))
  ON CONFLICT (hour_start, extension) DO UPDATE SET hour_start = excluded.hour_start
$$;
--> statement-breakpoint
CREATE FUNCTION calls_report_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM report_dirty_note(OLD.started_at, OLD.extension); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM report_dirty_note(NEW.started_at, NEW.extension); END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION call_wrapups_report_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM report_dirty_note(c.started_at, c.extension) FROM calls c WHERE c.id = OLD.call_id; END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM report_dirty_note(c.started_at, c.extension) FROM calls c WHERE c.id = NEW.call_id; END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_ai AFTER INSERT ON calls
  FOR EACH ROW WHEN (NEW.state = 'ended') EXECUTE FUNCTION calls_report_dirty();
--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_au AFTER UPDATE OF state, direction, extension, manager_id, started_at, disposition, ring_ms, talk_ms ON calls
  FOR EACH ROW WHEN (OLD.state = 'ended' OR NEW.state = 'ended') EXECUTE FUNCTION calls_report_dirty();
--> statement-breakpoint
CREATE TRIGGER calls_report_dirty_ad AFTER DELETE ON calls
  FOR EACH ROW WHEN (OLD.state = 'ended') EXECUTE FUNCTION calls_report_dirty();
--> statement-breakpoint
CREATE TRIGGER call_wrapups_report_dirty_ai AFTER INSERT ON call_wrapups
  FOR EACH ROW EXECUTE FUNCTION call_wrapups_report_dirty();
--> statement-breakpoint
CREATE TRIGGER call_wrapups_report_dirty_au AFTER UPDATE ON call_wrapups
  FOR EACH ROW EXECUTE FUNCTION call_wrapups_report_dirty();
--> statement-breakpoint
CREATE TRIGGER call_wrapups_report_dirty_ad AFTER DELETE ON call_wrapups
  FOR EACH ROW EXECUTE FUNCTION call_wrapups_report_dirty();
