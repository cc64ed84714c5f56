// qrcode-terminal ships no types; this is the part the login QR uses.
declare module "qrcode-terminal" {
  const qrcode: {
    generate(input: string, opts: { small?: boolean }, cb?: (output: string) => void): void;
  };
  export default qrcode;
}
