//! Reading an answer's body with a size cap, so that a server (or a proxy in between) that
//! sends an endless or huge body costs a bounded amount of memory and ends with an error.
//!
//! The body is read chunk by chunk as it arrives; it must never be buffered whole before the
//! cap is checked.

/// The largest body read from one answer. Okta's largest answers (a page of 200 apps, each a
/// few KiB of JSON) are well under 2 MiB; the margin is for apps with very large settings.
pub const MAX_BODY_BYTES: usize = 32 << 20;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The connection failed while the body was read.
    Transport(reqwest::Error),
    /// The body is longer than [`MAX_BODY_BYTES`] (by its `Content-Length`, or as read).
    TooLarge,
}

/// Reads the whole body of `response`, at most [`MAX_BODY_BYTES`].
pub async fn read(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
