/**
 * Checks electron-builder.yml: the fuses, the identity, what is packaged and the Linux targets.
 * Parsed with a tiny reader for the YAML subset the file uses (block maps, block lists, plain or
 * quoted scalars, comments) rather than a YAML dependency.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Yaml = string | boolean | number | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly number: number;
}

function scalar(raw: string): Yaml {
  const text = raw.trim();
  if (/^".*"$/.test(text)) return JSON.parse(text) as string;
  if (/^'.*'$/.test(text)) return text.slice(1, -1).replace(/''/g, "'");
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === '' || text === 'null' || text === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function stripComment(line: string): string {
  // A '#' starts a comment at the line start or after whitespace, outside quotes.
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Parse the block-style YAML subset; throws on anything it does not understand (tabs, flow maps, duplicates). */
function parseSimpleYaml(source: string): Yaml {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    if (raw.includes('\t')) throw new Error(`line ${index + 1}: tabs are not allowed`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: index + 1 });
  });
  let pos = 0;

  const block = (indent: number): Yaml => {
    const first = lines[pos];
    if (!first || first.indent < indent) return null;
    return first.text.startsWith('- ') || first.text === '-' ? list(first.indent) : map(first.indent);
  };

  const map = (indent: number): Yaml => {
    const out: { [key: string]: Yaml } = {};
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const line = lines[pos]!;
      const match = /^("[^"]*"|'[^']*'|[^:]+?):(?:\s+(.*))?$/.exec(line.text);
      if (!match) throw new Error(`line ${line.number}: expected "key: value"`);
      const key = String(scalar(match[1]!));
      if (key in out) throw new Error(`line ${line.number}: duplicate key ${key}`);
      pos++;
      if (match[2] !== undefined && match[2] !== '') {
        if (/^[[{]/.test(match[2])) throw new Error(`line ${line.number}: flow collections are not supported`);
        out[key] = scalar(match[2]);
      } else {
        const next = lines[pos];
        // A list may sit at the same indent as its key.
        if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = block(next.indent);
        else out[key] = null;
      }
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new Error(`line ${lines[pos]!.number}: bad indentation`);
    return out;
  };

  const list = (indent: number): Yaml => {
    const out: Yaml[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && lines[pos]!.text.startsWith('-')) {
      const line = lines[pos]!;
      const rest = line.text.slice(1).trim();
      pos++;
      if (rest === '') out.push(block(indent + 1));
      else if (/^[^"'][^:]*:(\s|$)/.test(rest)) throw new Error(`line ${line.number}: maps inside lists are not supported`);
      else out.push(scalar(rest));
    }
    return out;
  };

  const result = block(0);
  if (pos !== lines.length) throw new Error(`line ${lines[pos]!.number}: unexpected content`);
  return result;
}

const CONFIG_PATH = fileURLToPath(new URL('../../electron-builder.yml', import.meta.url));
const config = parseSimpleYaml(readFileSync(CONFIG_PATH, 'utf8')) as { [key: string]: Yaml };

const EXPECTED_FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
};

describe('parseSimpleYaml', () => {
  it('reads maps, lists, booleans, quotes and comments', () => {
    expect(parseSimpleYaml('a: 1\nb: true # note\nc:\n  - "x # y"\n  - z\nd:\n  e: false\n  f: \'it\'\'s\'\ng:\n- h\n')).toEqual({
      a: 1,
      b: true,
      c: ['x # y', 'z'],
      d: { e: false, f: "it's" },
      g: ['h'],
    });
  });
  it('refuses duplicate keys and bad indentation', () => {
    expect(() => parseSimpleYaml('a: 1\na: 2\n')).toThrow(/duplicate/);
    expect(() => parseSimpleYaml('a:\n    b: 1\n  c: 2\n')).toThrow();
  });
});

describe('electron-builder.yml', () => {
  it('sets every fuse as required', () => {
    expect(config.electronFuses).toEqual(EXPECTED_FUSES);
  });

  it.each(Object.entries(EXPECTED_FUSES))('fuse %s is %s (a real boolean, not a string)', (fuse, value) => {
    const fuses = config.electronFuses as { [key: string]: Yaml };
    expect(typeof fuses[fuse]).toBe('boolean');
    expect(fuses[fuse]).toBe(value);
  });

  it('names the app', () => {
    expect(config.productName).toBe('Tapdesk');
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/);
  });

  it('packages the build output, package.json and the runtime modules only', () => {
    const files = config.files as string[];
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/**/*',
        'package.json',
        'node_modules/nfc-pcsc/**/*',
        'node_modules/@pokusew/pcsclite/**/*',
        'node_modules/ws/**/*',
      ]),
    );
    // No sources, tests or e2e in the package.
    for (const pattern of files) expect(pattern).not.toMatch(/^(main|preload|renderer|drivers|e2e|scripts)\//);
  });

  it('packs the app into an asar (needed by onlyLoadAppFromAsar)', () => {
    expect(config.asar).not.toBe(false);
  });

  it('builds an AppImage and a deb for Linux', () => {
    const linux = config.linux as { [key: string]: Yaml };
    expect(linux.target).toEqual(['AppImage', 'deb']);
  });
});
