/**
 * Unit tests: reading a multipart part's `Content-Disposition` (RFC 7578 §4.2 with RFC 6266 §4.1's grammar)
 * and a body with a preamble (RFC 2046 §5.1.1), no I/O.
 */
import { describe, expect, it } from 'vitest';
import { formDataDisposition, readPartsBody } from './parts.ts';

describe('formDataDisposition', () => {
  it('reads the name and whether a filename is given, parameter names and the type in any case', () => {
    expect(formDataDisposition('form-data; name="sod"; filename="sod.bin"')).toEqual({
      name: 'sod',
      filename: true,
    });
    expect(formDataDisposition('form-data; name="request"')).toEqual({ name: 'request', filename: false });
    expect(formDataDisposition('Form-Data; NAME="dg1"; FileName="x"')).toEqual({
      name: 'dg1',
      filename: true,
    });
    expect(formDataDisposition('form-data;name=dg2;filename=dg2')).toEqual({ name: 'dg2', filename: true });
    expect(formDataDisposition("form-data; name=dg2; filename*=UTF-8''%C3%A1nh")).toEqual({
      name: 'dg2',
      filename: true,
    });
    expect(formDataDisposition('form-data ; name = "aa.challenge" ;')).toEqual({
      name: 'aa.challenge',
      filename: false,
    });
    expect(formDataDisposition('form-data; filename="a;b\\"c"; name="sod"')).toEqual({
      name: 'sod',
      filename: true,
    });
  });

  it('refuses what two readers could take for different parts, and what is not form-data', () => {
    for (const value of [
      undefined,
      '',
      'attachment; name="sod"; filename="sod"', // another disposition type
      'form-data', // no name
      'form-data; filename="sod"',
      'form-data; name="sod"; NAME="dg2"', // a parameter twice
      'form-data; name="sod"; name="sod"',
      'form-data; name="sod', // an open quoted string
      'form-data; name=so d',
      'form-data name="sod"',
      'form-data; name="sod", form-data; name="dg2"', // two Content-Disposition headers, joined by the parser
    ])
      expect(formDataDisposition(value), String(value)).toBeUndefined();
  });
});

describe('readPartsBody', () => {
  const body = (text: string) => async () => new TextEncoder().encode(text).buffer as ArrayBuffer;
  const form = [
    '--b0',
    'Content-Disposition: form-data; name="request"',
    '',
    'token',
    '--b0',
    'content-disposition: form-data; Name="sod"; Filename="sod"',
    'Content-Type: application/octet-stream',
    '',
    'SOD',
    '--b0',
    'Content-Disposition: form-data; name="dg1"',
    'Content-Type: application/octet-stream',
    '',
    'DG1',
    '--b0--',
    'the epilogue, ignored',
  ].join('\r\n');

  it('skips a preamble before the first boundary, and reads mixed-case parameter names', async () => {
    for (const text of [form, `a preamble, ignored\r\n${form}`, `\r\n${form}`]) {
      const parts = await readPartsBody('multipart/form-data; boundary=b0', body(text));
      expect(parts.errors).toEqual([]);
      expect(parts.token).toBe('token');
      expect(new TextDecoder().decode(parts.files.get('sod'))).toBe('SOD');
      expect(new TextDecoder().decode(parts.files.get('dg1'))).toBe('DG1');
    }
  });

  it('a part without a readable form-data disposition is named, its header not quoted', async () => {
    const text = form.replace('form-data; name="dg1"', 'attachment; name="dg1"; filename="Nguyễn"');
    const parts = await readPartsBody('multipart/form-data; boundary=b0', body(text));
    expect(parts.errors).toEqual([
      { pointer: '', detail: 'a part without a valid Content-Disposition: form-data; name=…' },
      { pointer: '/dg1', detail: 'required' },
    ]);
  });

  it('the first delimiter is the first line that starts with the boundary; none at all is a malformed body', async () => {
    // `--b0` inside the preamble's line is no delimiter: the request part is preamble, hence missing.
    const swallowed = await readPartsBody(
      'multipart/form-data; boundary=b0',
      body(`preamble --b0\r\n${form.slice(6)}`),
    );
    expect(swallowed.errors).toEqual([
      { pointer: '/request', detail: 'required: compact JWS (chipid-request+jwt)' },
    ]);
    expect([...swallowed.files.keys()]).toEqual(['sod', 'dg1']);
    await expect(
      readPartsBody('multipart/form-data; boundary=b0', body('no line starts with --b0 here --b0--')),
    ).rejects.toMatchObject({ status: 400, code: 'ERR_VALIDATION' });
  });
});
