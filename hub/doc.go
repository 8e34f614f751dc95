// Package hub resolves a model named on the Hugging Face hub ("hfl/chinese-roberta-wwm-ext",
// optionally "@revision") to a local directory in the hub's own cache layout, the one
// Python's huggingface_hub writes and reads:
//
//	$HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub)
//	  models--hfl--chinese-roberta-wwm-ext/
//	    blobs/<etag>                      file contents, named by their ETag (sha256 for LFS files, git blob id otherwise)
//	    refs/main                         the commit a branch or tag was last resolved to
//	    snapshots/<commit>/config.json    symbolic link to ../../blobs/<etag>
//	    .no_exist/<commit>/<file>         an optional file the repository does not have
//	  .locks/models--hfl--chinese-roberta-wwm-ext/<etag>.lock
//
// A snapshot that already holds the files a backbone needs is used as it is, without any
// request: a model downloaded by transformers or huggingface-cli works offline, and a run
// never changes the model under a cell because the branch moved. Missing files are fetched
// from $HF_ENDPOINT (https://huggingface.co) with $HF_TOKEN, resumably and verified against
// the ETag the hub reports; HF_HUB_OFFLINE=1 turns any fetch into an error naming what is
// missing.
package hub
