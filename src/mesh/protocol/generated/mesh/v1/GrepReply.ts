// Original file: proto/mesh.proto

import type { GrepMatch as _mesh_v1_GrepMatch, GrepMatch__Output as _mesh_v1_GrepMatch__Output } from '../../mesh/v1/GrepMatch.js';
import type { Long } from '@grpc/proto-loader';

export interface GrepReply {
  'matches'?: (_mesh_v1_GrepMatch)[];
  'truncated'?: (boolean);
  'filesScanned'?: (number | string | Long);
  'bytesScanned'?: (number | string | Long);
  'timedOut'?: (boolean);
  'binarySkipped'?: (number);
}

export interface GrepReply__Output {
  'matches': (_mesh_v1_GrepMatch__Output)[];
  'truncated': (boolean);
  'filesScanned': (number);
  'bytesScanned': (number);
  'timedOut': (boolean);
  'binarySkipped': (number);
}
