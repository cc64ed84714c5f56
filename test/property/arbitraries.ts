// Shared generators for the parser property tests: resident-like and hostile text, article
// numbers, and statute text lines that cannot be mistaken for structure.

import fc from "fast-check";

export const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);

export const han = fc.constantFrom(..."中华人民共和国劳动合同法第条之一二三十百千万用人单位应当支付报酬的规定《》，。；：、 \n\t#-".split(""));
export const hanText = (maxLength: number) => fc.array(han, { maxLength }).map((a) => a.join(""));
/** Text a resident or a broken file might contain: CJK, ASCII, unicode junk, numerals. */
export const anyText = (maxLength = 80) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: "grapheme", maxLength }), hanText(maxLength), fc.string({ unit: "binary", maxLength }));
export const articleNo = fc.record({ no: fc.integer({ min: 1, max: 3000 }), sub: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })) });
/** Small JSON values of every type, for fields that expect strings. */
export const jsonValue = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }));
/** Article text that cannot be mistaken for structure (no line starting with 第…条 or #). */
// Trimmed before the leading 第 is replaced: " 第万条" trimmed would read as an article heading.
export const bodyLine = hanText(60).map((s) => s.replace(/[#\n\t]/g, "").trim().replace(/^第/, "按")).filter((s) => s.length > 0 && s !== "<!-- INFO END -->");
