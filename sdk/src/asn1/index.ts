/** `@chipid/sdk/asn1` — DER / BER-TLV reader and DER writer. */
export {
  children,
  expect,
  type Node,
  parseOne,
  Reader,
  type ReadOptions,
  readBigInt,
  readBitString,
  readBoolean,
  readInt,
  readNode,
  readOctets,
  readOID,
  readString,
  readTime,
  readUnsignedBytes,
  TAG,
  TAG_CLASS,
} from './der.ts';
export { OID, type OIDName, oidName } from './oid.ts';
export * as der from './writer.ts';
