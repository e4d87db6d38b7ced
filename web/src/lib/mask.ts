import { create } from '@bufbuild/protobuf';
import { FieldMaskSchema, type FieldMask } from '@bufbuild/protobuf/wkt';

/** A FieldMask naming the given proto field paths (snake_case, e.g. "display_name"). */
export function mask(...paths: string[]): FieldMask {
  return create(FieldMaskSchema, { paths });
}
