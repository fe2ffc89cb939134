// Slidev's sync switches (its own "sync directions" menu), typed here (tsconfig `paths`) so
// the deck imports this one module of its client without type-checking the client's source.
import type { Ref } from 'vue'

export declare const syncDirections: Ref<{ presenterSend: boolean, presenterReceive: boolean, viewerSend: boolean, viewerReceive: boolean }>
