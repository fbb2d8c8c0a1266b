"""Build /work/round3/sources_round3.jsonl from hand decisions below and validate it.

Each decision: (doc, i, span_text, type, tag_sentence, occurrence)
  span_text None      -> source null
  tag_sentence None   -> span is in the sentence itself (in_sentence true)
  tag_sentence k      -> span is the speaker tag in sentence k (in_sentence false)
  occurrence          -> which occurrence of span_text inside that sentence (1-based)
"""
import json
from list_targets import docs, split_of, targets

LB = "helper-round3 (LLM agent, read each sentence with its neighbours; model-assisted: no)"
TYPES = {"named_person", "organization", "state_media", "media", "official_anonymous",
         "anonymous", "document", "public", "pronoun"}
NP, ORG, SM, MED, OA, AN, DOC, PUB, PRO = ("named_person", "organization", "state_media", "media",
                                           "official_anonymous", "anonymous", "document", "public",
                                           "pronoun")

D = [
 ("amalgum_administered", 21, "the president", OA, None, 1),
 ("amalgum_administered", 22, "He", NP, None, 1),
 ("amalgum_africans", 5, "Zuma", NP, 7, 1),
 ("amalgum_africans", 6, "Zuma", NP, 7, 1),
 ("amalgum_africans", 7, "Zuma", NP, None, 1),
 ("amalgum_africans", 10, "Zuma", NP, 9, 1),
 ("amalgum_africans", 20, "Magwenya", NP, None, 1),
 ("amalgum_africans", 28, "Kenneth Mubu", NP, 26, 1),
 ("amalgum_africans", 30, "It", PRO, None, 1),
 ("amalgum_aitchison", 10, None, None, None, 1),
 ("amalgum_aitchison", 11, None, None, None, 1),
 ("amalgum_aitchison", 13, None, None, None, 1),
 ("amalgum_aitchison", 24, "Frances McMenamin", NP, None, 1),
 ("amalgum_aitchison", 27, "Claire Aitchison", NP, None, 1),
 ("amalgum_aitchison", 29, "she", NP, 28, 1),
 ("amalgum_aitchison", 30, "Claire and her husband Norrie", NP, None, 1),
 ("amalgum_aitchison", 32, "Andy Logan", NP, None, 1),
 ("amalgum_ajax", 22, "Peter Bosz", NP, 21, 1),
 ("amalgum_ajax", 23, "Peter Bosz", NP, 21, 1),
 ("amalgum_ajax", 24, "Peter Bosz", NP, 21, 1),
 ("amalgum_ajax", 28, "José Mourinho", NP, None, 1),
 ("amalgum_ajax", 31, "José Mourinho", NP, 28, 1),
 ("amalgum_ajax", 32, "José Mourinho", NP, 28, 1),
 ("amalgum_allegations", 9, "Mubarak", NP, None, 1),
 ("amalgum_annapolis", 3, "Bush", NP, None, 1),
 ("amalgum_annapolis", 6, "the joint statement", DOC, None, 1),
 ("amalgum_annapolis", 11, "Jon Alterman", NP, None, 1),
 ("amalgum_annapolis", 13, "Daniel Levy", NP, None, 1),
 ("amalgum_annapolis", 16, "an advisor to the Palestinian team", OA, None, 1),
 ("amalgum_annapolis", 23, "Palestinian officials", OA, None, 1),
 ("amalgum_archaeologist", 14, "Kathleen Martinez", NP, None, 1),
 ("amalgum_aretha", 4, "the statement", DOC, None, 1),
 ("amalgum_aretha", 5, "the statement", DOC, 4, 1),
 ("amalgum_aretha", 27, "She", NP, None, 1),
 ("amalgum_aretha", 28, "She", NP, 27, 1),
 ("amalgum_aretha", 30, "She", NP, 27, 1),
 ("amalgum_aretha", 33, "Barack Obama", NP, 32, 1),
 ("amalgum_ariane", 22, "He", NP, None, 1),
 ("amalgum_armed", 2, "the Supreme Council of the Armed Forces", ORG, None, 1),
 ("amalgum_armed", 9, "The statement released by the Council", DOC, None, 1),
 ("amalgum_armed", 13, "The Los Angeles Times", MED, None, 1),
 ("amalgum_armed", 15, "BBC News Online", MED, None, 1),
 ("amalgum_armed", 20, "The protesters", PUB, None, 1),
 ("amalgum_arrests", 5, "Anatolian News", SM, None, 1),
 ("amalgum_arrests", 13, "Turkish media", MED, None, 1),
 ("amalgum_arrests", 14, "the Turkish media reports", DOC, None, 1),
 ("amalgum_arrests", 18, "Baykal", NP, None, 1),
 ("amalgum_arrests", 35, "The Guardian", MED, None, 1),
 ("amalgum_arrives", 6, "He", NP, None, 1),
 ("amalgum_arrives", 7, "He", NP, None, 1),
 ("amalgum_arrives", 8, "He", NP, None, 1),
 ("amalgum_arrives", 16, "He", NP, None, 1),
 ("amalgum_arrives", 25, "Stephen Hadley", NP, None, 1),
 ("amalgum_asteroid", 3, "They", PRO, None, 1),
 ("amalgum_asteroid", 6, "The researchers", AN, None, 1),
 ("amalgum_asteroid", 10, "Ben Rozitis", NP, 7, 1),
 ("amalgum_asteroid", 12, None, None, None, 1),
 ("amalgum_asteroid", 22, "Ben Rozitis", NP, 21, 1),
 ("amalgum_asteroid", 35, "Ben Rozitis", NP, None, 1),
 ("amalgum_asteroid", 36, "Ben Rozitis", NP, 35, 1),
 ("amalgum_asylum", 5, "Jacqui Smith", NP, None, 1),
 ("amalgum_asylum", 9, "Simon Hughes", NP, None, 1),
 ("amalgum_asylum", 10, "Simon Hughes", NP, 9, 1),
 ("amalgum_asylum", 16, "Borg Palm", NP, 15, 1),
 ("amalgum_asylum", 20, "His uncle", AN, None, 1),
 ("amalgum_asylum", 25, "Kazemi", NP, 24, 1),
 ("amalgum_asylum", 29, "A resolution passed by the European Parliament", DOC, None, 1),
 ("amalgum_asylum", 30, "The resolution", DOC, None, 1),
 ("amalgum_asylum", 33, "Ahmadinejad", NP, 32, 1),
 ("amalgum_benin", 15, "Yayi", NP, None, 1),
 ("amalgum_benin", 19, "Bush", NP, None, 1),
 ("amalgum_benin", 21, "Bush", NP, 19, 1),
 ("amalgum_benin", 23, "Bush", NP, None, 1),
 ("amalgum_benin", 29, "Jendayi Frazer", NP, 27, 1),
 ("amalgum_benin", 31, "Frazer", NP, 30, 1),
 ("amalgum_bianchi", 10, "Philippe", NP, None, 1),
 ("amalgum_bianchi", 15, "the group", ORG, None, 1),
 ("amalgum_blackwater", 2, "Study", DOC, None, 1),
 ("amalgum_blackwater", 10, "critics of the organisation", AN, None, 1),
 ("amalgum_boeing", 10, "Israel", ORG, None, 1),
 ("amalgum_boeing", 18, "His younger brother", AN, None, 1),
 ("amalgum_boeing", 44, "Joe Girardi", NP, None, 1),
 ("amalgum_bombings", 8, "the police", ORG, None, 1),
 ("amalgum_bombings", 18, "Hamid Saadi", NP, None, 1),
 ("amalgum_bombings", 19, "he", NP, 20, 1),
 ("amalgum_bombings", 21, "A reporter for the BBC", MED, None, 1),
 ("amalgum_bombings", 23, "he", NP, None, 1),
 ("amalgum_borneo", 5, "Monsters and Critics", MED, None, 1),
 ("amalgum_borneo", 13, "He", NP, None, 1),
 ("amalgum_borneo", 14, "Endang Rahayu Sedyaningsih", NP, None, 1),
 ("amalgum_borneo", 16, "Daryatmo", NP, None, 1),
 ("amalgum_borneo", 18, "The government", ORG, None, 1),
 ("amalgum_borneo", 24, "he", NP, None, 1),
 ("amalgum_boycott", 0, "Dublin mayor", OA, None, 1),
 ("amalgum_boycott", 2, "Mícheál MacDonncha", NP, None, 1),
 ("amalgum_boycott", 4, "Lynn Boylann and Nessa Childers", NP, None, 1),
 ("amalgum_boycott", 5, "MacDonncha", NP, None, 1),
 ("amalgum_boycott", 10, "Netta", NP, 8, 1),
 ("amalgum_boycott", 26, "Nessa Childers", NP, None, 1),
 ("amalgum_boycott", 38, "The resolution", DOC, 37, 1),
 ("amalgum_boycott", 40, "Vänsterpartiet Malmö", ORG, None, 1),
 ("amalgum_boycott", 43, "Vänsterpartiet Malmö", ORG, 40, 1),
 ("amalgum_boycott", 50, "Vänsterpartiet Malmö", ORG, 47, 1),
 ("amalgum_boycott", 51, "Vänsterpartiet Malmö", ORG, 47, 1),
 ("amalgum_buffon", 17, "Gianluigi Buffon", NP, 16, 1),
 ("amalgum_buffon", 18, "Nasser Al-Khelaïfi", NP, None, 1),
 ("amalgum_buffon", 19, "Nasser Al-Khelaïfi", NP, 18, 1),
 ("amalgum_buffon", 20, "Nasser Al-Khelaïfi", NP, 18, 1),
 ("amalgum_bush", 5, "Ahern", NP, 4, 1),
 ("amalgum_bush", 7, "Bush", NP, None, 1),
 ("amalgum_bush", 9, "Bush", NP, 7, 1),
 ("amalgum_bush", 13, "Bush", NP, 21, 1),
 ("amalgum_bush", 15, "Bush", NP, 21, 1),
 ("amalgum_bush", 16, "Bush", NP, 21, 1),
 ("amalgum_california", 14, "The mother", AN, None, 1),
 ("amalgum_california", 17, "One of them", AN, None, 1),
 ("amalgum_catholic", 13, "John Fritchey", NP, 10, 1),
 ("amalgum_catholic", 16, "Cardinal George", NP, 15, 1),
 ("gum_news_asylum", 2, None, None, None, 1),
 ("gum_news_asylum", 8, "Muhammad Amin", NP, None, 1),
 ("gum_news_asylum", 13, "Rathke", NP, None, 1),
 ("gum_news_ie9", 2, "Microsoft", ORG, None, 2),
 ("gum_news_sensitive", 9, "Julie Hahn", NP, None, 1),
 ("gum_news_sensitive", 16, "Dewar", NP, 15, 1),
 ("gum_news_taxes", 13, "Stefania Giannini", NP, None, 1),
 ("gum_news_taxes", 25, "It", PRO, None, 1),
 ("gum_news_warhol", 18, "K.C. Maurer", NP, None, 1),
 ("gum_news_warhol", 23, "Elaine Gustafon", NP, None, 1),
 ("gum_news_warhol", 30, "Wilkins", NP, None, 1),
 ("gum_news_warhol", 31, "Wilkins", NP, None, 1),
 ("gum_news_warhol", 40, "Kathryn Waters", NP, 39, 1),
 ("gum_news_warhol", 49, "Wilkins", NP, None, 1),
 ("gum_news_warhol", 53, "Wilkins", NP, 51, 1),
 ("gum_news_warhol", 55, "Wilkins", NP, None, 1),
 ("gum_news_warhol", 57, "Kiara Perkins", NP, None, 1),
 ("gum_news_warhol", 63, "He", NP, 62, 1),
 ("gum_news_warhol", 67, "Allton", NP, 66, 1),
]


def locate(doc, k, span, occ):
    """Offsets of the occ-th whole-word occurrence of span in sentence k (so "he" never matches "These")."""
    s = doc['sentences'][k]
    assert s['i'] == k
    t = doc['text']
    hits = []
    pos = t.find(span, s['start'], s['end'])
    while pos >= 0 and pos + len(span) <= s['end']:
        a, b = pos, pos + len(span)
        if (a == 0 or not t[a - 1].isalnum()) and (b == len(t) or not t[b].isalnum()):
            hits.append((a, b))
        pos = t.find(span, pos + 1, s['end'])
    assert len(hits) >= occ, (doc['id'], k, span, occ, hits)
    return hits[occ - 1]


rows = []
for did, i, span, typ, tag, occ in D:
    d = docs[did]
    s = d['sentences'][i]
    assert s['i'] == i and s['label'] == 'attribution', (did, i)
    src = None
    if span is not None:
        a, b = locate(d, i if tag is None else tag, span, occ)
        src = {"text": span, "type": typ, "start": a, "end": b, "in_sentence": tag is None}
    rows.append({"doc": did, "split": split_of[did], "i": i, "start": s['start'], "end": s['end'],
                 "text": d['text'][s['start']:s['end']], "source": src, "round": 3, "labelled_by": LB})

rows.sort(key=lambda r: (r['doc'], r['i']))
# validation
keys = [(r['doc'], r['i']) for r in rows]
assert len(keys) == len(set(keys)), "duplicate rows"
assert set(keys) == set(targets), (set(targets) - set(keys), set(keys) - set(targets))
for r in rows:
    t = docs[r['doc']]['text']
    assert t[r['start']:r['end']] == r['text']
    s = r['source']
    if s:
        assert t[s['start']:s['end']] == s['text'] and s['type'] in TYPES
        inside = r['start'] <= s['start'] and s['end'] <= r['end']
        assert inside == s['in_sentence'], r
with open('/work/round3/sources_round3.jsonl', 'w', encoding='utf-8') as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + '\n')
from collections import Counter
print(len(rows), Counter(r['source']['type'] if r['source'] else None for r in rows),
      Counter(r['source']['in_sentence'] for r in rows if r['source']))
