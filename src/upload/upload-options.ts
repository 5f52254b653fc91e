// The upload side's settings and what it is given, declared once, and built from the config
// (uploaderOptions): the writer's (object-writer.ts) and the loops' (uploader.ts).
import type { BatchReader } from "../buffer/buffer.ts";
import type { ObjectJournal } from "../buffer/journal.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { OTHER, partitionOf } from "../partition/partitions.ts";
import type { StoreHealth } from "../shared/store-health.ts";
import type { ObjectStore } from "../store/store.ts";
import type { AdmissionOptions } from "./admission.ts";
import type { ObjectFormat } from "./format.ts";
import type { KeyNamer, TimePartition } from "./object-key.ts";
import type { RetryPolicy, UploadProgress } from "./retry.ts";
import type { StagingOptions } from "./staging.ts";

export interface WriterOptions {
  /** S3_PREFIX, for objects whose name the buffer fixes. */
  prefix: string;
  /** TIME_PARTITION, for objects whose name the buffer fixes. @default "hour" */
  timePartition?: TimePartition;
  format: ObjectFormat;
  /** OBJECT_MAX_BYTES: an object is completed once it holds this many encoded bytes. */
  objectMaxBytes: number;
  /** OBJECT_MAX_AGE_MS: ...or this long after its first batch. 0: every batch is an object of its own. */
  maxAgeMs: number;
  /** OBJECT_PART_BYTES: the least size of a part but the last (S3: 5 MiB). */
  partBytes: number;
  /** The upload loops (bounds.ts). @default 1 */
  loops?: number;
  /** Held bytes one object may hold (disk mode): past them it is completed, so segments leave the spool. @default no bound */
  maxHeldBytes?: number;
  /** PARTITION_BY: one open object per admitted partition; `bufferBytes` of frames in all (PARTITION_BUFFER_BYTES). Absent: one open object. */
  partitions?: AdmissionOptions & { bufferBytes: number };
  /** PARTITION_BY: batches of several partitions are staged (stageBatch). */
  staging?: StagingOptions;
  /** PARTITION_BY=version: what stop() hands over gets its partition's line prefix back. */
  linePrefixes?: boolean;
  retry: RetryPolicy;
}

export interface WriterDeps {
  store: ObjectStore;
  keys: KeyNamer;
  health: StoreHealth;
  metrics: Metrics;
  log: Logger;
  progress?: UploadProgress;
  /** Where objects of batches the buffer keeps are recorded (the buffer's reader supplies it). */
  journal: ObjectJournal;
  /** Called before every attempt of a store call (RetrierDeps). */
  onStoreCall?: () => void;
}

export interface UploaderOptions extends Omit<WriterOptions, "loops" | "staging" | "linePrefixes"> {
  /** How many loops: MAX_WORKERS, or the buffer's count for its reader. */
  loops: number;
  /** Size of the reusable batch buffers (BATCH_MAX_BYTES). */
  batchMaxBytes: number;
  /** PARTITION_BY: the payload field whose value partitions the objects. Absent or empty: none. */
  partitionBy?: string;
  /** NDJSON bytes a partition's object encodes at once. @default stageBytes(PARTITION_MAX_ACTIVE) */
  stageBytes?: number;
}

export interface UploaderDeps extends WriterDeps {
  reader: BatchReader;
}

/**
 * The options of the loops reading one of the buffer's readers.
 * @param reader how many loops read it, and the held bytes one object may hold (BufferReader)
 * @param format the object format, chosen once (formats.ts)
 * @example
 * const options = uploaderOptions(config, { loops: 4 }, createFormat(config));
 */
export function uploaderOptions(config: Config, reader: { loops: number; maxHeldBytes?: number }, format: ObjectFormat): UploaderOptions {
  return {
    loops: reader.loops,
    prefix: config.S3_PREFIX,
    timePartition: config.TIME_PARTITION,
    format,
    batchMaxBytes: config.BATCH_MAX_BYTES,
    objectMaxBytes: config.OBJECT_MAX_BYTES,
    maxAgeMs: config.OBJECT_MAX_AGE_MS,
    partBytes: config.OBJECT_PART_BYTES,
    ...(reader.maxHeldBytes !== undefined && { maxHeldBytes: reader.maxHeldBytes }),
    ...(config.PARTITION_BY && {
      partitionBy: config.PARTITION_BY,
      partitions: {
        maxActive: config.PARTITION_MAX_ACTIVE,
        overflow: partitionOf(config.PARTITION_BY, OTHER),
        bufferBytes: config.PARTITION_BUFFER_BYTES,
      },
    }),
    retry: { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS },
  };
}
