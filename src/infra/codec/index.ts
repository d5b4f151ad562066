/** The versioned binary wire codec: see `codec.ts` for the layout and compatibility rules. */
export { ByteReader, ByteWriter } from "./bytes.js";
export {
  CODEC_MAJOR,
  CODEC_MINOR,
  type Decoded,
  type Envelope,
  MESSAGE_TYPES,
  MessageCodec,
  type MessageHeader,
  partitionKeyOf,
  type WireMessage,
} from "./codec.js";
export { CodecError } from "./errors.js";
