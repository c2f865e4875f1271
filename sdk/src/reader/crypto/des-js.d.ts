/** Types for the parts of `des.js` (indutny/des.js, MIT) the reader uses: DES and 3DES-EDE, ECB and CBC. */
declare module 'des.js' {
  interface DesCipher {
    update(data: ArrayLike<number>): number[];
    final(data?: ArrayLike<number>): number[];
  }
  interface DesCipherOptions {
    type: 'encrypt' | 'decrypt';
    key: ArrayLike<number>;
    iv?: ArrayLike<number>;
    padding?: boolean;
  }
  interface DesCipherClass {
    create(options: DesCipherOptions): DesCipher;
  }
  const des: {
    DES: DesCipherClass;
    EDE: DesCipherClass;
    CBC: { instantiate(base: DesCipherClass): DesCipherClass };
  };
  export default des;
}
