/** Types of the OpenJPEG WebAssembly build's decoder (@cornerstonejs/codec-openjpeg, Emscripten). */
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
  }
  export interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  export interface OpenJPEGModule {
    J2KDecoder: new () => J2KDecoder;
  }
  export interface ModuleOptions {
    instantiateWasm?: (
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module?: WebAssembly.Module) => void,
    ) => object;
    print?: (s: string) => void;
    printErr?: (s: string) => void;
  }
  const factory: (options?: ModuleOptions) => Promise<OpenJPEGModule>;
  export default factory;
}

/** The decoder's WebAssembly module: a compiled `WebAssembly.Module` where the bundler imports it as one. */
declare module '@cornerstonejs/codec-openjpeg/decodewasm' {
  const wasm: WebAssembly.Module;
  export default wasm;
}

/** jpeg-js's encoder alone (its package types cover the index only). */
declare module 'jpeg-js/lib/encoder.js' {
  const encode: (
    image: { data: Uint8Array; width: number; height: number },
    quality?: number,
  ) => { data: Uint8Array; width: number; height: number };
  export default encode;
}
