-- Data for scripts/bench-search.sh: 2,000 talks in three languages (English,
-- Spanish, French), 1,000,000 questions each with a written answer (85 %
-- answered, the rest approved, pending or dismissed), 20,000 threads with
-- 1,000,000 posts (3 % hidden), on a database migrated by `hubtalks migrate`.
--
-- Text: each language's stop words (a third of the words, as in speech),
-- then content words with a Zipf-like frequency (word rank r drawn as
-- floor(n^random())): a few dozen real words of the field first, then
-- made-up words from syllables up to 3,000 per language, so that common
-- words are in a large share of the documents and most in very few, as in
-- real text.
--
-- The load goes around the triggers (session_replication_role = replica)
-- and writes each vector with the expression the triggers use, and builds
-- the GIN indexes after the rows are in, as a bulk import would; the script
-- checks a sample of rows against the triggers' functions afterwards.
\set ON_ERROR_STOP on
SET maintenance_work_mem = '512MB';
SET session_replication_role = replica;

CREATE TEMP TABLE bench_lang (lang text PRIMARY KEY, stop text[], real text[], suffix text[]);
INSERT INTO bench_lang VALUES
('en', '{the,of,and,to,in,is,that,for,it,with,as,on,be,at,by,this,how,what,we,can}',
 '{health,mobile,app,apps,data,patient,patients,privacy,regulation,device,devices,clinical,evidence,care,digital,interoperability,standard,standards,certification,marking,notified,body,telemedicine,hospital,doctor,nurse,citizen,security,cloud,consent,records,record,wearable,sensor,diabetes,cancer,elderly,chronic,monitoring,remote,reimbursement,europe,policy,guideline,trial,validation,quality,risk,software,platform,integration,fhir,literacy,training,access,equity,rural,primary}',
 '{tion,ment,ness,ity,ing,er,al,ure}'),
('es', '{el,la,de,que,y,en,los,las,del,se,por,un,una,con,para,es,como,al,lo,su}',
 '{salud,móvil,aplicación,aplicaciones,datos,paciente,pacientes,privacidad,regulación,dispositivo,dispositivos,clínico,evidencia,atención,digital,interoperabilidad,estándar,certificación,marcado,organismo,telemedicina,hospital,médico,enfermera,ciudadano,seguridad,nube,consentimiento,historia,registro,sensor,diabetes,cáncer,mayores,crónico,monitorización,remoto,reembolso,europa,política,guía,ensayo,validación,calidad,riesgo,programa,plataforma,integración,formación,acceso,equidad,rural,primaria,móviles,público,sanitario,región,gestión,innovación,tecnología}',
 '{ción,miento,idad,ero,ista,ía,ando,ado}'),
('fr', '{le,la,de,et,les,des,en,un,une,du,que,est,pour,dans,qui,par,sur,au,avec,pas}',
 '{santé,mobile,application,applications,données,patient,patients,confidentialité,réglementation,dispositif,dispositifs,clinique,preuve,soins,numérique,interopérabilité,norme,certification,marquage,organisme,télémédecine,hôpital,médecin,infirmière,citoyen,sécurité,nuage,consentement,dossier,capteur,diabète,cancer,âgés,chronique,surveillance,distance,remboursement,europe,politique,recommandation,essai,validation,qualité,risque,logiciel,plateforme,intégration,formation,accès,équité,rural,primaire,hospitalier,région,gestion,innovation,technologie,évaluation}',
 '{tion,ment,ité,eur,isme,age,ique,ée}');

-- bench_text(language, n): n words of running text. A content word of rank
-- r is the r-th real word, or past them a word made from r (syllables and
-- a suffix of the language), so no large array is read per word.
CREATE FUNCTION pg_temp.bench_text(language text, n integer) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(CASE
        WHEN g.s < 0.33 THEN l.stop[1 + floor(g.s / 0.33 * cardinality(l.stop))::int]
        WHEN g.r <= cardinality(l.real) THEN l.real[g.r]
        ELSE (ARRAY['ka','lo','mi','ne','su','ra','to','vi','de','po','ma','li','no','se','ta','ri','go','ve','la','bu'])[1 + g.r % 20]
          || (ARRAY['ra','ne','ti','lo','ma','ke','su','di','po','va','le','mo','si','tu','na','re','co','ba','fi','go'])[1 + (g.r / 20) % 20]
          || (ARRAY['','n','r','s','l'])[1 + (g.r / 400) % 5]
          || l.suffix[1 + (g.r / 2000 + g.r) % 8] END, ' ')
    FROM bench_lang l, LATERAL (SELECT random() AS s, floor(power(3000, random()))::int AS r FROM generate_series(1, n)) g
    WHERE l.lang = language
$$;

-- 20,000 users (authors and speakers).
INSERT INTO users (email, display_name, password_hash, role, email_verified_at)
SELECT 'bench' || i || '@example.test', initcap(pg_temp.bench_text('en', 1)) || ' ' || initcap(pg_temp.bench_text('es', 1)) || ' ' || i,
       'x', 'participant', now()
FROM generate_series(1, 20000) AS i;
-- Numbered maps (n → id): joined, not read from an array, since a large
-- array is decompressed again on every subscript.
CREATE TEMP TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users WHERE email LIKE 'bench%';
CREATE UNIQUE INDEX ON bench_users (n);

-- 2,000 talks over ten years, a third per language; 2 % drafts.
INSERT INTO talks (slug, title, abstract, starts_at, ends_at, status, tags, language, live_started_at, recording_video_id)
SELECT 'bench-' || i, initcap(pg_temp.bench_text(lang, 6)), pg_temp.bench_text(lang, 120),
       now() - (i * interval '43 hours'), now() - (i * interval '43 hours') + interval '1 hour',
       CASE WHEN i % 50 = 0 THEN 'draft' ELSE 'ended' END,
       ARRAY[pg_temp.bench_text(lang, 1), pg_temp.bench_text(lang, 1)], lang,
       now() - (i * interval '43 hours'), 'bench' || lpad(i::text, 6, '0')
FROM (SELECT i, (ARRAY['en','es','fr'])[1 + i % 3] AS lang FROM generate_series(1, 2000) AS i) s;
INSERT INTO talk_speakers (talk_id, user_id, position)
SELECT k.id, u.id, p FROM talks k CROSS JOIN generate_series(0, 1) AS p JOIN bench_users u ON u.n = 1 + (k.id * 7 + p) % 20000
WHERE k.slug LIKE 'bench-%';
UPDATE talks k SET search_speakers = coalesce((
    SELECT string_agg(u.display_name, ' ' ORDER BY ts.position, u.id)
    FROM talk_speakers ts JOIN users u ON u.id = ts.user_id WHERE ts.talk_id = k.id), '');
CREATE TEMP TABLE bench_talks AS SELECT row_number() OVER (ORDER BY id) AS n, id, language AS lang FROM talks WHERE slug LIKE 'bench-%';
CREATE UNIQUE INDEX ON bench_talks (n);

-- The search indexes are built once the rows are in.
CREATE TEMP TABLE bench_indexes AS
SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('questions_search_idx', 'posts_search_idx');
DROP INDEX questions_search_idx, posts_search_idx;

-- 1,000,000 questions, each with one written answer (ids 1..1,000,000: the
-- database is fresh).
CREATE TEMP TABLE bench_q AS
SELECT i, t.id AS talk_id, t.lang, u.id AS author_id,
       pg_temp.bench_text(t.lang, 8 + (i % 13)) || '?' AS body,
       pg_temp.bench_text(t.lang, 15 + (i % 30)) || '.' AS answer,
       CASE WHEN i % 20 < 17 THEN 'answered' WHEN i % 20 = 17 THEN 'approved' WHEN i % 20 = 18 THEN 'pending' ELSE 'dismissed' END AS status
FROM generate_series(1, 1000000) AS i JOIN bench_talks t ON t.n = 1 + i % 2000 JOIN bench_users u ON u.n = 1 + (i * 13) % 20000;
INSERT INTO questions (id, talk_id, author_id, body, status, votes, answered_at, taken_at, created_at, updated_at, search_tsv)
SELECT i, talk_id, author_id, body, status, i % 40,
       CASE WHEN status = 'answered' THEN now() END,
       CASE WHEN status = 'answered' AND i % 3 = 0 THEN now() - interval '1 day' END, now(), now(),
       setweight(to_tsvector(search_config(lang), search_text(body)), 'A') || setweight(to_tsvector(search_config(lang), search_text(answer)), 'B')
FROM bench_q ORDER BY i;
INSERT INTO answers (question_id, author_id, body) SELECT i, author_id, answer FROM bench_q ORDER BY i;
SELECT setval('questions_id_seq', 1000000) \g /dev/null
DROP TABLE bench_q;

-- 20,000 threads (ten per talk) and 1,000,000 posts, 3 % hidden.
INSERT INTO threads (talk_id, author_id, title, body, search_tsv)
SELECT talk_id, author_id, title, body, search_thread_tsv(search_config(lang), title, body)
FROM (SELECT t.id AS talk_id, t.lang, u.id AS author_id, initcap(pg_temp.bench_text(t.lang, 5)) AS title, pg_temp.bench_text(t.lang, 20) AS body
      FROM generate_series(1, 20000) AS i JOIN bench_talks t ON t.n = 1 + i % 2000
      JOIN bench_users u ON u.n = 1 + (i * 17) % 20000) s;
CREATE TEMP TABLE bench_threads AS
SELECT row_number() OVER (ORDER BY th.id) AS n, th.id, k.language AS lang
FROM threads th JOIN talks k ON k.id = th.talk_id WHERE k.slug LIKE 'bench-%';
CREATE UNIQUE INDEX ON bench_threads (n);
INSERT INTO posts (thread_id, author_id, body, hidden, search_tsv)
SELECT thread_id, author_id, body, i % 33 = 0, to_tsvector(search_config(lang), search_text(body))
FROM (SELECT i, th.id AS thread_id, th.lang, u.id AS author_id, pg_temp.bench_text(th.lang, 10 + i % 40) AS body
      FROM generate_series(1, 1000000) AS i JOIN bench_threads th ON th.n = 1 + i % 20000
      JOIN bench_users u ON u.n = 1 + (i * 19) % 20000) s;

SET session_replication_role = origin;
DO $$ DECLARE d text; BEGIN
    FOR d IN SELECT indexdef FROM bench_indexes LOOP EXECUTE d; END LOOP;
END $$;
VACUUM ANALYZE talks;
VACUUM ANALYZE questions;
VACUUM ANALYZE answers;
VACUUM ANALYZE threads;
VACUUM ANALYZE posts;
