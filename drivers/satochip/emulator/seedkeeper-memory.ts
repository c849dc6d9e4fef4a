/**
 * The Seedkeeper's secret store: a port of SK `MemoryManager.java` (first-fit allocation from the
 * tail of a free block, a 2-byte size before every block, neighbouring free blocks merged on free)
 * and `ObjectManager.java` (objects = `next(2) | class(2) | id(2) | size(2) | data`, newest first in
 * a linked list). Kept byte-faithful because SEEDKEEPER STATUS reports `free_mem` (section 7.2,
 * vector: 2 secrets of 121 and 284 data bytes leave 0x0E54 of 0x0FFF), and because a handler that
 * reads past an object's data (the applet decrypts 80 bytes of a PUBKEY object) reads its neighbours.
 */
import { runtimeFault, SW, fail } from './status-words.ts';

export const NULL_OFFSET = 0xffff;
const NODE_SIZE = 4;
const OBJ_HEADER_SIZE = 8;
const OBJ_NEXT = 0;
const OBJ_CLASS = 2;
const OBJ_ID = 4;
const OBJ_SIZE = 6;

export class MemoryManager {
  readonly bytes: Uint8Array;
  private freeHead = 0;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.resetMemory(false);
  }

  resetMemory(secureErase: boolean): void {
    if (secureErase) this.bytes.fill(0);
    this.setShort(0, this.size);
    this.setShort(2, NULL_OFFSET);
    this.freeHead = 0;
  }

  getShort(offset: number): number {
    if (offset < 0 || offset + 2 > this.bytes.length) runtimeFault();
    return (this.bytes[offset]! << 8) | this.bytes[offset + 1]!;
  }

  setShort(offset: number, value: number): void {
    if (offset < 0 || offset + 2 > this.bytes.length) runtimeFault();
    this.bytes[offset] = (value >> 8) & 0xff;
    this.bytes[offset + 1] = value & 0xff;
  }

  /** Offset of `size` usable bytes, or NULL_OFFSET. */
  alloc(requested: number): number {
    let offset = this.freeHead;
    let prev = NULL_OFFSET;
    let size = requested + 2;
    if (size < NODE_SIZE) size = NODE_SIZE;
    while (offset !== NULL_OFFSET) {
      const freeSize = this.getShort(offset);
      const next = this.getShort(offset + 2);
      if (freeSize >= size) {
        let remain = freeSize - size;
        if (remain >= NODE_SIZE) {
          this.setShort(offset, remain);
        } else {
          size = freeSize;
          remain = 0;
          if (prev === NULL_OFFSET) this.freeHead = next;
          else this.setShort(prev + 2, next);
        }
        this.setShort(offset + remain, size);
        return offset + remain + 2;
      }
      prev = offset;
      offset = next;
    }
    return NULL_OFFSET;
  }

  free(blockOffset: number): void {
    const offset = blockOffset - 2;
    let size = this.getShort(offset);
    let prev = NULL_OFFSET;
    let base = this.freeHead;
    let found = false;
    let nodeNext = 0;
    while (base !== NULL_OFFSET) {
      nodeNext = this.getShort(base + 2);
      if (offset < base) {
        found = true;
        break;
      }
      prev = base;
      base = nodeNext;
    }
    if (found && offset + size === base) {
      size += this.getShort(base);
      this.setShort(offset, size);
      if (prev !== NULL_OFFSET) this.setShort(prev + 2, nodeNext);
      else this.freeHead = nodeNext;
      base = nodeNext;
    }
    if (prev !== NULL_OFFSET) {
      const prevSize = this.getShort(prev);
      if (prev + prevSize === offset) {
        this.setShort(prev, prevSize + size);
      } else {
        this.setShort(offset + 2, base);
        this.setShort(prev + 2, offset);
      }
    } else {
      this.setShort(offset + 2, base);
      this.freeHead = offset;
    }
  }

  /** Shrinks a block (only clamping); false when less than a node would be freed. */
  realloc(blockOffset: number, newSizeRequested: number): boolean {
    const actual = this.getShort(blockOffset - 2);
    const newSize = newSizeRequested + 2;
    if (newSize < 3 || actual - newSize < NODE_SIZE) return false;
    this.setShort(blockOffset - 2, newSize);
    this.setShort(blockOffset + newSize - 2, actual - newSize);
    this.free(blockOffset + newSize);
    return true;
  }

  /** Sum of the free blocks, less the 2-byte size each allocation would need. */
  freemem(): number {
    let offset = this.freeHead;
    let total = 0;
    while (offset !== NULL_OFFSET) {
      total += this.getShort(offset) - 2;
      offset = this.getShort(offset + 2);
    }
    return total;
  }
}

export class ObjectManager {
  readonly mem: MemoryManager;
  private head = NULL_OFFSET;
  private iterator = NULL_OFFSET;
  private count = 0;

  constructor(size: number) {
    this.mem = new MemoryManager(size);
  }

  get objectCount(): number {
    return this.count;
  }

  get totalMemory(): number {
    return this.mem.size;
  }

  get freeMemory(): number {
    return this.mem.freemem();
  }

  reset(secureErase: boolean): void {
    this.mem.resetMemory(secureErase);
    this.head = NULL_OFFSET;
    this.count = 0;
  }

  /** Data address of a new object (inserted at the list head); 9C01 when memory is short. */
  create(id: number, size: number, zero: boolean): number {
    const base = this.mem.alloc(size + OBJ_HEADER_SIZE);
    if (base === NULL_OFFSET) fail(SW.NO_MEMORY_LEFT);
    this.mem.setShort(base + OBJ_NEXT, this.head);
    this.mem.setShort(base + OBJ_CLASS, 0);
    this.mem.setShort(base + OBJ_ID, id & 0xffff);
    this.mem.setShort(base + OBJ_SIZE, size & 0xffff);
    this.head = base;
    if (zero) this.mem.bytes.fill(0, base + OBJ_HEADER_SIZE, base + OBJ_HEADER_SIZE + size);
    this.count += 1;
    return base + OBJ_HEADER_SIZE;
  }

  private entry(id: number): number {
    let base = this.head;
    while (base !== NULL_OFFSET) {
      if (this.mem.getShort(base + OBJ_CLASS) === 0 && this.mem.getShort(base + OBJ_ID) === (id & 0xffff)) return base;
      base = this.mem.getShort(base + OBJ_NEXT);
    }
    return NULL_OFFSET;
  }

  /** Data address of object `id`, or NULL_OFFSET. */
  find(id: number): number {
    const base = this.entry(id);
    return base === NULL_OFFSET ? NULL_OFFSET : base + OBJ_HEADER_SIZE;
  }

  exists(id: number): boolean {
    return this.entry(id) !== NULL_OFFSET;
  }

  sizeOf(address: number): number {
    return this.mem.getShort(address - OBJ_HEADER_SIZE + OBJ_SIZE);
  }

  idOf(address: number): number {
    return this.mem.getShort(address - OBJ_HEADER_SIZE + OBJ_ID);
  }

  /** Shrinks object data to `newSize` (the import's "clamp"). */
  clamp(address: number, newSize: number): boolean {
    const base = address - OBJ_HEADER_SIZE;
    if (this.mem.realloc(base, newSize + OBJ_HEADER_SIZE)) {
      this.mem.setShort(base + OBJ_SIZE, newSize);
      return true;
    }
    return false;
  }

  read(address: number, offset: number, length: number): Uint8Array {
    const start = address + offset;
    if (length < 0 || start < 0 || start + length > this.mem.bytes.length) runtimeFault();
    return this.mem.bytes.slice(start, start + length);
  }

  write(address: number, offset: number, data: Uint8Array): void {
    const start = address + offset;
    if (start < 0 || start + data.length > this.mem.bytes.length) runtimeFault();
    this.mem.bytes.set(data, start);
  }

  getByte(address: number, offset: number): number {
    return this.read(address, offset, 1)[0]!;
  }

  setByte(address: number, offset: number, value: number): void {
    this.write(address, offset, Uint8Array.of(value & 0xff));
  }

  destroy(id: number, secure: boolean): boolean {
    let base = this.head;
    let prev = NULL_OFFSET;
    while (base !== NULL_OFFSET) {
      if (this.mem.getShort(base + OBJ_CLASS) === 0 && this.mem.getShort(base + OBJ_ID) === (id & 0xffff)) break;
      prev = base;
      base = this.mem.getShort(base + OBJ_NEXT);
    }
    if (base === NULL_OFFSET) return false;
    const next = this.mem.getShort(base + OBJ_NEXT);
    if (prev !== NULL_OFFSET) this.mem.setShort(prev + OBJ_NEXT, next);
    else this.head = next;
    if (secure) {
      const size = this.mem.getShort(base + OBJ_SIZE);
      this.mem.bytes.fill(0, base + OBJ_HEADER_SIZE, base + OBJ_HEADER_SIZE + size);
    }
    this.mem.free(base);
    this.count -= 1;
    return true;
  }

  /** LIST HEADERS iteration, newest first. */
  first(): number {
    this.iterator = this.head;
    return this.next();
  }

  next(): number {
    if (this.iterator === NULL_OFFSET) return NULL_OFFSET;
    const address = this.iterator + OBJ_HEADER_SIZE;
    this.iterator = this.mem.getShort(this.iterator + OBJ_NEXT);
    return address;
  }
}
