/**
 * Level-2 order books on raw fixed-point integers, venue sequencing (gaps, checksums,
 * resync events) and capture verification. See docs/data.md.
 */
export { krakenChecksum, okxChecksum, trimmedDecimal } from "./checksum.js";
export { crc32, crc32Signed } from "./crc32.js";
export {
  ASK,
  BID,
  type FillEstimate,
  Ladder,
  OrderBook,
  OrderBookError,
  type SideIndex,
} from "./order-book.js";
export { BookSync, type BookSyncStats, type ResyncEvent, type SyncState } from "./sync.js";
export {
  type InstrumentVerification,
  type LocatedResync,
  type TopOfBookMismatch,
  type VerifyDetails,
  type VerifyOptions,
  type VerifyResult,
  verifyCapture,
} from "./verify.js";
