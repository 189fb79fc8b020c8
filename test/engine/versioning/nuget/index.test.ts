import { describe } from 'vitest';
import { comparator } from '../../../../engine/versioning/nuget/index.js';
import { itOrdersAscending, itRejects, itTreatsEqual } from '../ordered.js';

describe('engine/versioning/nuget', () => {
  itOrdersAscending(comparator, [
    '0.9',
    '1.0.0-alpha',
    '1.0.0-alpha.2',
    '1.0.0-alpha.10',
    '1.0.0-beta',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.0.1',
    '1.0.1',
    '1.2',
    '1.10',
    '13.0.1',
  ]);
  itTreatsEqual(comparator, [
    ['1.0', '1.0.0', '1.0.0.0', '1', '1.0.0+meta'],
    ['1.0.0-RC.1', '1.0.0-rc.1'],
  ]);
  itRejects(comparator, ['', '1.0.0.0.0', 'one', '1.0-', '1.0.0-a..b']);
});
