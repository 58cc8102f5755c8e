import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { closeReply, frame, parseFrame } from './protocol';

/**
 * One object per user: holds that user's WebSockets (hibernation API, so idle sockets cost nothing)
 * and fans events out to them. The caregiver protocol and notifications build on `emit`.
 */
export class UserHub extends DurableObject<Env> {
  /** Accepts a socket upgrade; the Worker has already authenticated the user. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Sends one event to every socket this user has open; returns how many received it. */
  async emit(event: string, data: unknown): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const socket of sockets) socket.send(frame(event, data));
    return sockets.length;
  }

  override async webSocketMessage(socket: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const message = parseFrame(raw);
    if (!message) {
      socket.send(frame('error', { code: 'INVALID_FRAME', message: 'Send JSON { event, data, id? }' }));
      return;
    }
    if (message.event === 'ping') socket.send(frame('pong', { at: Date.now() }, message.id));
    else socket.send(frame(`${message.event}:error`, { code: 'NOT_FOUND', message: 'Unknown event' }, message.id));
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    closeReply(socket, code);
  }
}
