// Package miniclue generates "mini-CLUE": small, deterministic, CLUE-like Chinese data sets
// in the exact file layouts of CLUE, FewCLUE and CLUENER, plus a pre-training corpus, so
// the harness can run end to end where no CLUE data can be downloaded.
//
// # Layout
//
// Generate(out, Options{Seed, Scale, Tasks}) writes
//
//	<out>/<task>_public/{train,dev,test}.json   (OCNLI: train.50k.json; CMRC2018 also trial.json;
//	                                            C3: {d,m}-{train,dev}.json and test1.1.json;
//	                                            CHID: {train,dev}{,_answer}.json and test1.1.json)
//	<out>/fewclue/<task>/{train_0..4, dev_0..4, train_few_all, dev_few_all, test_public, test}.json
//	<out>/corpus.txt                            pre-training text, one paragraph per line
//	<out>/MANIFEST.json                         version, options, rows, sizes, sha256, charset
//
// Records use the official field names, types and order: AFQMC {sentence1, sentence2,
// label "0"/"1"}; TNEWS {label "100".."116" without 105 and 111, label_desc, sentence,
// keywords}; OCNLI {level, sentence1, sentence2, label, label0..label4, genre, prem_id, id};
// CLUEWSC2020 {target{span2_index, span1_index, span1_text, span2_text}, idx, label
// "true"/"false", text} with rune offsets; CSL {id, abst, keyword [list], label}; CLUENER
// {text, label{type: {entity: [[start, end]]}}} with rune offsets and an inclusive end;
// CMRC2018 one SQuAD-style document per file, {version, data[{paragraphs[{id, context,
// qas[{question, id, answers[{text, answer_start}]}]}], id, title}]}, with one answer per
// training question, three per dev and trial question and none in test.json; C3 one JSON
// array per file of [[context lines], [{question, choice, answer}], document id], with
// conversations in the d- files and texts in the m- files, and test1.1.json questions numbered
// by "id" without an answer; CHID JSON lines {candidates [10 idioms], content [passages with
// one #idiomNNNNNN# blank each]} and an answer file {"#idiom…#": index} for train and dev.
// The other test.json files carry an "id" and no label. FewCLUE folders exist for tnews (integer
// labels there, 16 rows per class), ocnli, csl and cluewsc; the cluener folder is an
// addition of this package (FewCLUE has no NER task) for few-shot NER runs.
//
// # Label rules
//
// The text comes from a small world (people, cities, companies, titles, scenic spots) and a
// grammar with many surface forms per meaning, so that labels depend on structure rather
// than on single words:
//
//   - afqmc: "1" when both sentences state the same (subject, relation, object) fact with the
//     same polarity, through different forms (active, passive, converse verbs, questions,
//     hearsay). Negatives swap roles, change one argument to a confusable one, change the
//     relation or flip one side's polarity; for symmetric relations a swap is a paraphrase.
//     40% of the negatives pair unrelated facts instead, as most non-matching pairs in a
//     question log do (with hard negatives only, no method left chance).
//   - tnews: the topic of the headline's main clause; vocabulary is shared across topics and
//     40% of headlines add a clause of another topic, the connective frame saying which
//     clause is the main one.
//   - ocnli: one hypothesis per label for each premise, decided by world rules: one city,
//     employer, job and age per person, any number of visited places and pets; hypernyms
//     (一座城市, 一家银行, 宠物, a spot's city); number comparisons; role swaps. 60% of the
//     hypotheses restate, deny, change or add one fact (the comparisons a small backbone can
//     learn), the rest use any rule. Premises also deny facts (没去过故宫), so negation
//     words occur under every label. About 1.6%
//     of rows have no annotator majority and the label "-"; readers must drop them.
//   - cluewsc2020: Winograd pairs whose two endings send the pronoun to different candidates
//     of the same gender or kind; each text appears once with each candidate as span1. The
//     first-mentioned candidate is the referent in 70% of the texts (a subject preference).
//   - csl: "1" when every keyword is one of the terms the abstract was written around, "0"
//     when one is not: in half of the negatives a stretch of the abstract that is not a term
//     (the n-grams a tf-idf ranking proposes, as the real CSL's fakes were made), in the
//     other half a term of the same field that the abstract does not contain.
//   - cluener: the 10 CLUENER types, where the type of a title or a city name depends on its
//     context (a novel and the film made from it can share one title in one sentence).
//   - cmrc2018: questions about one of two or three people described in a paragraph, who
//     share the asked attribute, so the answer is the value linked to the right person
//     (often through a pronoun), not the first value of the right kind.
//   - c3: the same kind of paragraph, as a conversation or a text, with two to four choices
//     per question: the right value, other people's values for the same attribute (each
//     with chance 20%), and values the document does not mention (of a random attribute,
//     so mostly of another kind).
//   - chid: each idiom has a sentence describing the situation it names; the blank takes the
//     idiom whose situation the passage describes, among ten candidates.
//
// # Label noise
//
// So that no method can reach 100%, 4% of the labels of every classification split (train,
// dev, test and FewCLUE files alike) are replaced by another label, 3% of CLUENER entity
// annotations are retyped to a confusable type or left out, 3% of CMRC2018 answers point at
// another question's answer, and 3% of C3 and CHID answers name another choice. The manifest
// records the rates.
//
// # Sizes
//
// At Scale 1: afqmc 16000/400/300 train/dev/test rows, tnews 3000/450/300, ocnli
// 2400/450/300, cluewsc2020 1200/300/300, csl 8000/400/300, cluener 1500/400/300,
// cmrc2018 500/120/100 paragraphs (about 3500/850/700 questions) and 60 trial paragraphs,
// c3 1500/120/100 documents (4500/360/300 questions), chid 600/150/150 records (about
// 1000/250/250 blanks);
// FewCLUE train_k and dev_k 32 rows (tnews 240), test_public and test as large as the CLUE
// test file; corpus.txt about 2.5 MB. Scale multiplies all but the FewCLUE train_k/dev_k
// sizes.
//
// # Guarantees
//
// Equal options give byte-identical files (the package has its own random generator, so
// this holds across Go releases); different seeds give different files. A task's files do
// not depend on which other tasks are selected. No dev, trial or test text (of the CLUE or the
// FewCLUE files) occurs in a training file of its task or anywhere in corpus.txt. Each
// directory is replaced atomically and the manifest is written last; a call whose manifest
// equals the one on disk, with every file matching its hash, writes nothing.
package miniclue
