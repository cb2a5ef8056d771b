// The parts of noVNC's RFB class the viewer uses (the package ships no types).
declare module '@novnc/novnc' {
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | WebSocket, options?: { wsProtocols?: string[] });
    scaleViewport: boolean;
    clipViewport: boolean;
    resizeSession: boolean;
    viewOnly: boolean;
    focusOnClick: boolean;
    /** 0 (worst) to 9 (best): the JPEG quality the server uses for Tight encoding. */
    qualityLevel: number;
    /** 0 (least) to 9 (most): the zlib effort the server spends on compression. */
    compressionLevel: number;
    disconnect(): void;
    focus(options?: FocusOptions): void;
    blur(): void;
    clipboardPasteFrom(text: string): void;
    sendCtrlAltDel(): void;
    /** An X keysym and a KeyboardEvent.code; without `down` a press and a release. */
    sendKey(keysym: number, code: string | null, down?: boolean): void;
  }
}
