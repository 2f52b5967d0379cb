//! A run's output on its way to a person while the run goes: bounded, in pieces a
//! client can take, never split inside a character.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::{OutputChunk, OutputSink, OutputStream};

/// Output read within this time of a piece's first bytes goes with them.
pub const COALESCE: Duration = Duration::from_millis(50);

/// The most one piece carries.
const PIECE_BYTES: usize = 64 * 1024;

/// Chunks the sink holds before a backend waits for the reader.
const CHUNKS_IN_FLIGHT: usize = 64;

/// A sink to give a backend, and the chunks to pass to [`forward_output`].
pub fn output_channel() -> (OutputSink, mpsc::Receiver<OutputChunk>) {
    mpsc::channel(CHUNKS_IN_FLIGHT)
}

/// Hands what arrives on `chunks` to `deliver` as text until every sink is dropped
/// (the run is over). Output read within [`COALESCE`] is merged per stream, the
/// first stream to speak first; at most `limit` bytes of each stream are delivered
/// (the run's output limit: what the outcome keeps), the rest is read and dropped,
/// so that a flood neither reaches the client nor holds the sandbox back.
pub async fn forward_output<F, Fut>(
    mut chunks: mpsc::Receiver<OutputChunk>,
    limit: usize,
    mut deliver: F,
) where
    F: FnMut(OutputStream, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut pending = [Pending::new(limit), Pending::new(limit)];
    let mut open = true;
    while open {
        let Some(first) = chunks.recv().await else {
            break;
        };
        let mut order = vec![first.stream];
        pending[slot(first.stream)].push(&first.bytes);
        let deadline = Instant::now() + COALESCE;
        while pending.iter().all(|piece| piece.bytes.len() < PIECE_BYTES) {
            match tokio::time::timeout_at(deadline, chunks.recv()).await {
                Ok(Some(chunk)) => {
                    if !order.contains(&chunk.stream) {
                        order.push(chunk.stream);
                    }
                    pending[slot(chunk.stream)].push(&chunk.bytes);
                }
                Ok(None) => {
                    open = false;
                    break;
                }
                Err(_) => break,
            }
        }
        for stream in order {
            let text = pending[slot(stream)].complete_text();
            if !text.is_empty() {
                deliver(stream, text).await;
            }
        }
    }
    // A character cut by the end of the output, or by the limit, as the outcome
    // shows it.
    for stream in [OutputStream::Stdout, OutputStream::Stderr] {
        let rest = std::mem::take(&mut pending[slot(stream)].bytes);
        if !rest.is_empty() {
            deliver(stream, String::from_utf8_lossy(&rest).into_owned()).await;
        }
    }
}

fn slot(stream: OutputStream) -> usize {
    match stream {
        OutputStream::Stdout => 0,
        OutputStream::Stderr => 1,
    }
}

/// One stream's bytes not yet delivered, and how many more may be.
struct Pending {
    bytes: Vec<u8>,
    room: usize,
}

impl Pending {
    fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            room: limit,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let kept = bytes.len().min(self.room);
        self.bytes.extend_from_slice(&bytes[..kept]);
        self.room -= kept;
    }

    /// The text up to a character the next chunk may complete, which stays.
    fn complete_text(&mut self) -> String {
        let end = self.bytes.len() - incomplete_tail(&self.bytes);
        let rest = self.bytes.split_off(end);
        let text = String::from_utf8_lossy(&self.bytes).into_owned();
        self.bytes = rest;
        text
    }
}

/// How many bytes at the end start a UTF-8 character they do not finish.
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xC0 != 0x80 {
            let needed = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if needed > back { back } else { 0 };
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn forwarded(
        chunks: Vec<(OutputStream, &[u8])>,
        limit: usize,
    ) -> Vec<(OutputStream, String)> {
        let (sink, receiver) = output_channel();
        let sent: Vec<_> = chunks
            .into_iter()
            .map(|(stream, bytes)| OutputChunk {
                stream,
                bytes: bytes.to_vec(),
            })
            .collect();
        tokio::spawn(async move {
            for chunk in sent {
                sink.send(chunk).await.unwrap();
            }
        });
        let mut delivered = Vec::new();
        forward_output(receiver, limit, |stream, text| {
            delivered.push((stream, text));
            async {}
        })
        .await;
        delivered
    }

    #[tokio::test]
    async fn pieces_read_together_go_together() {
        use OutputStream::{Stderr, Stdout};
        let delivered = forwarded(
            vec![(Stdout, b"a\n"), (Stderr, b"x\n"), (Stdout, b"b\n")],
            100,
        )
        .await;
        assert_eq!(
            delivered,
            [(Stdout, "a\nb\n".to_owned()), (Stderr, "x\n".to_owned())]
        );
    }

    #[tokio::test]
    async fn a_flood_is_cut_at_the_limit() {
        let flood = vec![b'x'; 1000];
        let chunks = (0..1000)
            .map(|_| (OutputStream::Stdout, flood.as_slice()))
            .collect();
        let delivered = forwarded(chunks, 300_000).await;
        let total: usize = delivered.iter().map(|(_, text)| text.len()).sum();
        assert_eq!(total, 300_000);
        assert!(
            delivered
                .iter()
                .all(|(_, text)| text.len() <= PIECE_BYTES + 1000)
        );
    }

    #[tokio::test]
    async fn characters_are_never_split() {
        let (sink, receiver) = output_channel();
        let task = tokio::spawn(async move {
            let mut delivered = Vec::new();
            forward_output(receiver, 100, |_, text| {
                delivered.push(text);
                async {}
            })
            .await;
            delivered
        });
        let euro = "€".as_bytes();
        for bytes in [&euro[..1], &euro[1..]] {
            let chunk = OutputChunk {
                stream: OutputStream::Stdout,
                bytes: bytes.to_vec(),
            };
            sink.send(chunk).await.unwrap();
            tokio::time::sleep(COALESCE * 2).await;
        }
        drop(sink);
        assert_eq!(task.await.unwrap(), ["€"]);
        assert_eq!(incomplete_tail(b"ab"), 0);
        assert_eq!(incomplete_tail("a€".as_bytes()), 0);
        assert_eq!(incomplete_tail(&"a€".as_bytes()[..3]), 2);
    }
}
