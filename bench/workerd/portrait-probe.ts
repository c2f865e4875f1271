/**
 * workerd probe for `bench/portrait.ts`: converts the face it is sent (a DG2 image) to the JPEG
 * portrait `n` times. Timed from outside: workerd's clocks stand still during computation.
 */
import { portraitJPEG } from '../../functions/src/image/portrait.ts';

export default {
  async fetch(req: Request): Promise<Response> {
    const n = Number(new URL(req.url).searchParams.get('n') ?? '1');
    const format = new URL(req.url).searchParams.get('format') === 'jpeg' ? 'jpeg' : 'jp2';
    const image = new Uint8Array(await req.arrayBuffer());
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes = (await portraitJPEG({ format, image })).bytes.length;
    return Response.json({ n, jpegBytes: bytes });
  },
};
