import { BotV6Error } from "../../model/errors.js";

/**
 * A message that cannot be encoded or decoded. Codes: `CODEC_BAD_MAGIC`,
 * `CODEC_UNSUPPORTED_VERSION`, `CODEC_UNKNOWN_TYPE`, `CODEC_TRUNCATED`, `CODEC_LENGTH_MISMATCH`,
 * `CODEC_INVALID_VALUE`, `CODEC_UNENCODABLE`.
 */
export class CodecError extends BotV6Error {}
