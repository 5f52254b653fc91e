// The bytes JSON's grammar is written in, and the UTF-8 ranges it accepts, by name.

export const QUOTE = 0x22; // "
export const BACKSLASH = 0x5c; // \
export const SLASH = 0x2f; // /
export const OPEN_BRACE = 0x7b; // {
export const CLOSE_BRACE = 0x7d; // }
export const OPEN_BRACKET = 0x5b; // [
export const CLOSE_BRACKET = 0x5d; // ]
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const MINUS = 0x2d;
export const PLUS = 0x2b;
export const DOT = 0x2e;
export const ZERO = 0x30;
export const NINE = 0x39;
export const UPPER_A = 0x41;
export const UPPER_E = 0x45;
export const UPPER_F = 0x46;
export const LOWER_A = 0x61;
export const LOWER_B = 0x62;
export const LOWER_E = 0x65;
export const LOWER_F = 0x66;
export const LOWER_N = 0x6e;
export const LOWER_R = 0x72;
export const LOWER_T = 0x74;
export const LOWER_U = 0x75;

// Whitespace between tokens.
export const SPACE = 0x20;
export const TAB = 0x09;
export const NEWLINE = 0x0a;
export const CR = 0x0d;

/** The UTF-8 byte order mark, which a fatal TextDecoder drops. */
export const BOM = [0xef, 0xbb, 0xbf] as const;

// UTF-8 (RFC 3629): lead bytes by sequence length, and the continuation range.
export const ASCII_END = 0x80;
export const LEAD_2_MIN = 0xc2; // 0xc0 and 0xc1 would only start overlong forms
export const LEAD_2_MAX = 0xdf;
export const LEAD_3_MIN = 0xe0;
export const LEAD_3_MAX = 0xef;
/** The lead byte whose upper range would be UTF-16 surrogates. */
export const LEAD_3_SURROGATES = 0xed;
export const LEAD_4_MIN = 0xf0;
export const LEAD_4_MAX = 0xf4; // past it, code points beyond U+10FFFF
export const CONTINUATION_MIN = 0x80;
export const CONTINUATION_MAX = 0xbf;
/** After 0xe0 the second byte starts here (lower would be overlong). */
export const AFTER_E0_MIN = 0xa0;
/** After 0xed the second byte ends here (higher would be a UTF-16 surrogate). */
export const AFTER_ED_MAX = 0x9f;
/** After 0xf0 the second byte starts here (lower would be overlong). */
export const AFTER_F0_MIN = 0x90;
/** After 0xf4 the second byte ends here (higher would be past U+10FFFF). */
export const AFTER_F4_MAX = 0x8f;
