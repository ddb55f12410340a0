import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { generateOpenApiText } from './openapi.js';

it('gen', async () => {
  writeFileSync('/work/main/interfaces/openapi.json', await generateOpenApiText());
});
