// What earlier processes left for this one in the journal (disk mode). Objects they were
// completing are written again here, from exactly their batches and under their key, which
// overwrites the object if it was written; uploads that will never be objects are aborted, in the
// background, and the journal told once each is.
import type { ResumedObject, ResumedShares } from "../buffer/buffer.ts";
import type { JournalRecord, ObjectJournal } from "../buffer/journal.ts";
import type { ObjectStore } from "../store/store.ts";
import type { ObjectFormat } from "./format.ts";
import type { OpenObject } from "./open-object.ts";
import type { Retrier } from "./retry.ts";

export class ResumedObjects {
  private readonly objects = new Map<JournalRecord, OpenObject>();

  constructor(
    /** Makes the object (tracked by the writer). */
    private readonly create: (resumes: ResumedObject, partition: string, format: ObjectFormat) => OpenObject,
  ) {}

  /** The object an earlier process was completing that `resumes` names, made on its first batch. */
  of(resumes: ResumedObject, partition: string, format: ObjectFormat): OpenObject {
    let object = this.objects.get(resumes.record);
    if (!object) {
      object = this.create(resumes, partition, format);
      this.objects.set(resumes.record, object);
    }
    return object;
  }

  /** The object an earlier process was completing of this partition's shares, if there is one. */
  share(recovered: ResumedShares, partition: string, format: ObjectFormat): OpenObject | undefined {
    const previous = recovered.objects.get(partition);
    return previous && this.of(previous, partition, format);
  }

  /** The object is complete: forgotten. */
  completed(object: OpenObject): void {
    if (object.resumes) this.objects.delete(object.resumes.record);
  }
}

/** Aborts, in the background, the uploads that earlier processes left (the journal's stale ones). */
export function abortStale(journal: ObjectJournal, store: ObjectStore, retrier: Retrier): void {
  for (const { record, upload } of journal.stale) {
    void (async () => {
      const aborted = await retrier.store("abort", 0, () => store.multipart.abort(upload.key, upload.uploadId), { health: false });
      if (aborted !== null) await retrier.journal(() => journal.aborted(record, upload));
    })();
  }
}
