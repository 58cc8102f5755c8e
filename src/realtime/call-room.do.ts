import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { closeReply, frame, parseFrame } from './protocol';

/**
 * One object per consultation: relays WebRTC signaling between the room's peers. Each socket is
 * tagged with its participant id so relays skip the sender.
 */
export class CallRoom extends DurableObject<Env> {
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const participant = new URL(request.url).searchParams.get('participant');
    if (!participant) return new Response('participant is required', { status: 400 });
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [participant]);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Ids of the participants with an open socket. */
  async participants(): Promise<string[]> {
    return [...new Set(this.ctx.getWebSockets().flatMap((socket) => this.ctx.getTags(socket)))];
  }

  override async webSocketMessage(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const message = parseFrame(raw);
    if (!message) {
      socket.send(frame('error', { code: 'INVALID_FRAME', message: 'Send JSON { event, data, id? }' }));
      return;
    }
    const [from] = this.ctx.getTags(socket);
    for (const peer of this.ctx.getWebSockets()) {
      if (peer !== socket) peer.send(frame(message.event, { from, ...(message.data as object) }, message.id));
    }
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    closeReply(socket, code);
  }
}
