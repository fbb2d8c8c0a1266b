"""List round-3 targets: attribution sentences in dev+test docs not yet in sources_sample.jsonl."""
import json, sys
from collections import Counter
R = '/work/main/training/data/'
docs = {}
for l in open(R + 'docs.jsonl'):
    d = json.loads(l); docs[d['id']] = d
sp = json.load(open(R + 'splits.json'))
split_of = {doc: k for k in ('dev', 'test') for doc in sp[k]}
have = {(r['doc'], r['i']) for r in map(json.loads, open(R + 'sources_sample.jsonl'))}
targets = []
for did in sorted(split_of):
    d = docs[did]
    for s in d['sentences']:
        if s['label'] == 'attribution' and (did, s['i']) not in have:
            targets.append((did, s['i']))
if __name__ == '__main__':
    print(len(targets), Counter(t[0] for t in targets))
    # dump whole docs that contain targets, marking targets with ***
    tset = set(targets)
    for did in sorted({t[0] for t in targets}):
        d = docs[did]
        print('=' * 30, did, split_of[did])
        for s in d['sentences']:
            mark = '***' if (did, s['i']) in tset else ('ss ' if (did, s['i']) in have else '   ')
            print(f"{mark}{s['i']:>3} [{s['start']}] ({s['label']}) {d['text'][s['start']:s['end']]}")
